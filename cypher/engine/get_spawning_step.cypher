// get_spawning_step: The step that spawned a child plan, with its plan.
// Parameters: $plan_id
// Result columns: id
MATCH (s:ExecutionStep)-[:SPAWNED]->(:ExecutionPlan {id: $plan_id})
RETURN s.id AS id
