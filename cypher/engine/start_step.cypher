// start_step: ASSIGNED to EXECUTING; the lease's agent seen.
// Parameters: $agent_active, $step_id, $step_start_to
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
SET s.status = $step_start_to, s.started_at = coalesce(s.started_at, datetime()),
    // A chained step's attempt is timed from its start, not from the chain's claim.
    s.attempt_deadline = CASE WHEN s.chained_after IS NULL OR s.timeout_seconds IS NULL
                              THEN s.attempt_deadline
                              ELSE datetime() + duration({seconds: s.timeout_seconds}) END
WITH s
OPTIONAL MATCH (s)-[held:ASSIGNED_TO]->(a:Agent)
WHERE NOT coalesce(held.reserved, false)
FOREACH (_ IN CASE WHEN a IS NOT NULL AND (a.status <> $agent_active OR a.last_seen_at IS NULL
                        OR a.last_seen_at < datetime() - duration({seconds: 1}))
                   THEN [1] ELSE [] END |
  SET a.last_seen_at = datetime(), a.status = $agent_active)
