// cancel_orphaned_step: A leased step of a plan that has ended is CANCELLED.
// A leased step of a plan that has ended has nothing left to run for: it is cancelled
// (and re-armed with the FAIL_FAST casualties if the plan is retried), never READY.
// Parameters: $error, $step_cancel_to, $step_id
// Result columns: none
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.status = $step_cancel_to, s.completed_at = datetime(), s.error_message = $error,
    s.lease_token_hash = null, s.lease_expires_at = null, s.attempt_deadline = null,
    s.cancelled_by_fail_fast = true, p.unfinished = p.unfinished - 1
