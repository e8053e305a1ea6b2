// get_plan_for_change: A plan as a change is judged by: status and can_modify.
// Parameters: $plan_id
// Result columns: plan
MATCH (p:ExecutionPlan {id: $plan_id})
RETURN p {.id, .status, .can_modify, .on_failure} AS plan
