// list_live_plans: The ids of plans that have not ended.
// Parameters: $plan_live
// Result columns: id
MATCH (p:ExecutionPlan)
WHERE p.status IN $plan_live
RETURN p.id AS id
