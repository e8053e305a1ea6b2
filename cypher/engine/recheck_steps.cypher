// recheck_steps: Steps whose dependencies changed: READY or PENDING as their dependencies say.
// Parameters: $satisfied, $step_ids
// Result columns: id, plan_id, old, new
UNWIND $step_ids AS sid
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: sid})
WHERE s.status IN ['PENDING', 'READY']
WITH p, s, s.status AS old,
     all(x IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
         WHERE x.status IN $satisfied OR (x.status = 'FAILED' AND NOT x.is_critical)) AS free
WITH p, s, old,
     CASE WHEN free AND p.status IN ['EXECUTING', 'PAUSED'] THEN 'READY' ELSE 'PENDING' END AS new
WHERE new <> old
SET s.status = new, s.ready_at = CASE WHEN new = 'READY' THEN datetime() ELSE s.ready_at END
RETURN s.id AS id, p.id AS plan_id, old, new
