// get_plan_readiness: Each unstarted step of a plan and whether it may run, from scratch.
// Parameters: $plan_id
// Result columns: id
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep {status: 'READY'})
RETURN s.id AS id
