// find_blocked_steps: steps waiting on unfinished dependencies, with what blocks each one
// (key, status, and the agent it is assigned to) and who the waiting step is assigned to.
// Parameters: $plan_id
// Result columns: id, key, name, status, assigned_to, blocked_by
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)-[:DEPENDS_ON]->(d:ExecutionStep)
WHERE s.status IN ['PENDING', 'READY']
  AND NOT (d.status IN ['COMPLETED', 'SKIPPED', 'CANCELLED']
           OR (d.status = 'FAILED' AND NOT d.is_critical))
OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(da:Agent)
WITH s, collect({id: d.id, key: d.key, status: d.status, assigned_to: da.name}) AS blocked_by
OPTIONAL MATCH (s)-[:ASSIGNED_TO]->(sa:Agent)
RETURN s.id AS id, s.key AS key, s.name AS name, s.status AS status, sa.name AS assigned_to,
       blocked_by
ORDER BY s.step_number
