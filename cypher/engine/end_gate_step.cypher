// end_gate_step: A WAITING gate step ends: COMPLETED or FAILED.
// Parameters: $error, $outputs, $status, $step_failed, $step_id, $step_waiting
// Result columns: plan_id, on_failure, critical
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id, status: $step_waiting})
SET s.status = $status, s.outputs = $outputs, s.error_message = $error,
    s.completed_at = datetime(), p.unfinished = p.unfinished - 1,
    p.failed_critical = p.failed_critical +
        CASE WHEN $status = $step_failed AND s.is_critical THEN 1 ELSE 0 END
RETURN p.id AS plan_id, p.on_failure AS on_failure, s.is_critical AS critical
