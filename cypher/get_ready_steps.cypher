// get_ready_steps: the steps of a plan that may run now, computed from scratch: not started,
// and every dependency COMPLETED, SKIPPED, CANCELLED, or FAILED but not critical.
// Parameters: $plan_id
// Result columns: id, key, name, kind, status, step_number
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN ['PENDING', 'READY']
  AND all(d IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE d.status IN ['COMPLETED', 'SKIPPED', 'CANCELLED']
             OR (d.status = 'FAILED' AND NOT d.is_critical))
RETURN s.id AS id, s.key AS key, s.name AS name, s.kind AS kind, s.status AS status,
       s.step_number AS step_number
ORDER BY step_number
