// list_child_plans: The child plans spawned by the steps of these plans.
// Parameters: $plan_ids
// Result columns: id, status
UNWIND $plan_ids AS pid
MATCH (:ExecutionPlan {id: pid})-[:CONTAINS_STEP]->(:ExecutionStep)-[:SPAWNED]->(c:ExecutionPlan)
RETURN c.id AS id, c.status AS status
