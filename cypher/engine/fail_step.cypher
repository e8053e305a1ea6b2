// fail_step: A step FAILED for good; its plan's counters.
// Parameters: $error, $step_fail_to, $step_id
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})<-[:CONTAINS_STEP]-(p:ExecutionPlan)
SET s.status = $step_fail_to, s.error_message = $error, s.completed_at = datetime(),
    s.lease_expires_at = null, s.attempt_deadline = null,
    p.unfinished = p.unfinished - 1,
    p.failed_critical = p.failed_critical + CASE WHEN s.is_critical THEN 1 ELSE 0 END
