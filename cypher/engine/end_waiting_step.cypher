// end_waiting_step: A WAITING step whose children ended: COMPLETED or FAILED, its plan's counters updated.
// Parameters: $changeset, $error, $outputs, $status, $step_failed, $step_id, $step_waiting
// Result columns: none
MATCH (pp:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id, status: $step_waiting})
SET s.status = $status, s.outputs = $outputs, s.changeset = $changeset,
    s.error_message = $error, s.completed_at = datetime(), s.lease_token_hash = null,
    s.actual_duration = duration.inSeconds(coalesce(s.started_at, s.claimed_at),
                                           datetime()).seconds / 60.0,
    pp.unfinished = pp.unfinished - 1,
    pp.failed_critical = pp.failed_critical +
        CASE WHEN $status = $step_failed AND s.is_critical THEN 1 ELSE 0 END
