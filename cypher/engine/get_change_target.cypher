// get_change_target: The plan a change is about (given the plan or one of its steps), and
// whether its changes need approval.
// Parameters: $plan_id, $step_id
// Result columns: plan_id, requires_approval
OPTIONAL MATCH (byPlan:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (byStep:ExecutionPlan)-[:CONTAINS_STEP]->(:ExecutionStep {id: $step_id})
WITH coalesce(byPlan, byStep) AS p
WHERE p IS NOT NULL
RETURN p.id AS plan_id, coalesce(p.modifications_require_approval, false) AS requires_approval
