// find_dependents: The PENDING or READY dependents of steps that ended, with their plans.
// Parameters: $plan_running, $satisfied, $step_failed, $step_ids, $step_pending, $step_ready_to
// Result columns: id, kind, plan_id
UNWIND $step_ids AS sid
MATCH (:ExecutionStep {id: sid})<-[:DEPENDS_ON]-(d:ExecutionStep {status: $step_pending})
WITH DISTINCT d
WHERE all(x IN [(d)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE x.status IN $satisfied OR (x.status = $step_failed AND NOT x.is_critical))
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(d)
WHERE p.status IN $plan_running
SET d.status = $step_ready_to, d.ready_at = datetime()
RETURN d.id AS id, d.kind AS kind, p.id AS plan_id
