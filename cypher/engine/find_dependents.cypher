// find_dependents: The PENDING or READY dependents of steps that ended, with their plans.
// Parameters: $satisfied, $step_ids
// Result columns: id, kind, plan_id
UNWIND $step_ids AS sid
MATCH (:ExecutionStep {id: sid})<-[:DEPENDS_ON]-(d:ExecutionStep {status: 'PENDING'})
WITH DISTINCT d
WHERE all(x IN [(d)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE x.status IN $satisfied OR (x.status = 'FAILED' AND NOT x.is_critical))
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(d)
WHERE p.status IN ['EXECUTING', 'PAUSED']
SET d.status = 'READY', d.ready_at = datetime()
RETURN d.id AS id, d.kind AS kind, p.id AS plan_id
