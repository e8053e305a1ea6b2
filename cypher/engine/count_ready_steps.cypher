// count_ready_steps: The READY backlog by kind (for /metrics), through the status index.
// Parameters: $step_ready
// Result columns: kind, count
MATCH (s:ExecutionStep)
WHERE s.status = $step_ready
RETURN s.kind AS kind, count(*) AS count
