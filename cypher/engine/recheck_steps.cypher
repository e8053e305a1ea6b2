// recheck_steps: Steps whose dependencies changed: READY or PENDING as their dependencies say.
// Parameters: $plan_running, $satisfied, $step_failed, $step_ids, $step_pending, $step_ready, $step_unstarted
// Result columns: id, plan_id, old, new
UNWIND $step_ids AS sid
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: sid})
WHERE s.status IN $step_unstarted
WITH p, s, s.status AS old,
     all(x IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
         WHERE x.status IN $satisfied OR (x.status = $step_failed AND NOT x.is_critical)) AS free
WITH p, s, old,
     CASE WHEN free AND p.status IN $plan_running THEN $step_ready ELSE $step_pending END AS new
WHERE new <> old
SET s.status = new, s.ready_at = CASE WHEN new = $step_ready THEN datetime() ELSE s.ready_at END
RETURN s.id AS id, p.id AS plan_id, old, new
