// get_plan_readiness: Each unstarted step of a plan and whether it may run, from scratch.
// Parameters: $plan_id, $step_ready
// Result columns: id
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep {status: $step_ready})
RETURN s.id AS id
