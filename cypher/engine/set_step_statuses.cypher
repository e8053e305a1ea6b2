// set_step_statuses: Move steps from one status to another.
// Parameters: $from_status, $step_ids, $step_ready, $to_status
// Result columns: id
UNWIND $step_ids AS sid
MATCH (s:ExecutionStep {id: sid, status: $from_status})
SET s.status = $to_status, s.ready_at = CASE WHEN $to_status = $step_ready THEN datetime() END
RETURN s.id AS id
