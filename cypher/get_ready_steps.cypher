// get_ready_steps: the steps of a plan that may run now: not started, and every dependency
// COMPLETED, SKIPPED, CANCELLED, or FAILED but not critical.
// A running plan (EXECUTING or PAUSED) keeps exactly these READY (the engine marks a step
// READY when its last dependency ends), so they are read through the (plan_id, status)
// index at the cost of the frontier, not of the plan. For a plan not running (a DRAFT,
// or one that ended) they are computed from scratch from its steps.
// Parameters: $plan_id
// Result columns: id, key, name, kind, status, step_number
MATCH (p:ExecutionPlan {id: $plan_id})
CALL (p) {
  MATCH (s:ExecutionStep)
  WHERE p.status IN ['EXECUTING', 'PAUSED'] AND s.plan_id = p.id AND s.status = 'READY'
  RETURN s
  UNION
  MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
  WHERE NOT p.status IN ['EXECUTING', 'PAUSED'] AND s.status IN ['PENDING', 'READY']
    AND all(d IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
            WHERE d.status IN ['COMPLETED', 'SKIPPED', 'CANCELLED']
               OR (d.status = 'FAILED' AND NOT d.is_critical))
  RETURN s
}
RETURN s.id AS id, s.key AS key, s.name AS name, s.kind AS kind, s.status AS status,
       s.step_number AS step_number
ORDER BY step_number
