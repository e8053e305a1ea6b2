// start_child_plans: Start DRAFT child plans: EXECUTING, their steps without dependencies READY.
// A child starts fresh (every step PENDING): its steps without dependencies are READY.
// Parameters: $plan_ids
// Result columns: plan_id, ready
UNWIND $plan_ids AS pid
MATCH (c:ExecutionPlan {id: pid, status: 'DRAFT'})
SET c.status = 'EXECUTING', c.started_at = datetime()
WITH c
OPTIONAL MATCH (c)-[:CONTAINS_STEP]->(s:ExecutionStep {status: 'PENDING'})
WHERE NOT (s)-[:DEPENDS_ON]->(:ExecutionStep)
SET s.status = 'READY', s.ready_at = datetime()
RETURN c.id AS plan_id, collect(s.id) AS ready
