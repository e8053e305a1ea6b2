// find_passed_deadlines: Waiting gate steps whose deadline (deadline_seconds) has passed.
// Parameters: $limit, $step_waiting
// Result columns: id
MATCH (s:ExecutionStep)
WHERE s.wait_deadline < datetime() AND s.status = $step_waiting
RETURN s.id AS id
LIMIT $limit
