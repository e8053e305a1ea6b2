// start_child_plans: Start DRAFT child plans: EXECUTING, their steps without dependencies READY.
// A child starts fresh (every step PENDING): its steps without dependencies are READY.
// Parameters: $plan_draft, $plan_ids, $plan_start_to, $step_pending, $step_ready_to
// Result columns: plan_id, ready
UNWIND $plan_ids AS pid
MATCH (c:ExecutionPlan {id: pid, status: $plan_draft})
SET c.status = $plan_start_to, c.started_at = datetime()
WITH c
OPTIONAL MATCH (c)-[:CONTAINS_STEP]->(s:ExecutionStep {status: $step_pending})
WHERE NOT (s)-[:DEPENDS_ON]->(:ExecutionStep)
SET s.status = $step_ready_to, s.ready_at = datetime()
RETURN c.id AS plan_id, collect(s.id) AS ready
