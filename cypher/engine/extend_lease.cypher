// extend_lease: Extend a step's lease; the lease's agent seen.
// Parameters: $agent_active, $lease_seconds, $step_id
// Result columns: lease_expires_at
MATCH (s:ExecutionStep {id: $step_id})
SET s.lease_expires_at = datetime() + duration({seconds: $lease_seconds})
WITH s
OPTIONAL MATCH (s)-[held:ASSIGNED_TO]->(a:Agent)
WHERE NOT coalesce(held.reserved, false)
FOREACH (_ IN CASE WHEN a IS NOT NULL AND (a.status <> $agent_active OR a.last_seen_at IS NULL
                        OR a.last_seen_at < datetime() - duration({seconds: 1}))
                   THEN [1] ELSE [] END |
  SET a.last_seen_at = datetime(), a.status = $agent_active)
RETURN DISTINCT s.lease_expires_at AS lease_expires_at
