// find_finished_plans: Running plans whose steps all ended but which did not end (the process that was to end them stopped after its commit).
// Parameters: $limit, $plan_executing
// Result columns: plan_id
MATCH (p:ExecutionPlan)
WHERE p.status = $plan_executing
  AND p.unfinished - reduce(t = 0, x IN COLLECT {
        MATCH (k:PlanCounter) WHERE k.plan_id = p.id AND k.stripe >= 0
        RETURN k.finished } | t + x) <= 0
RETURN p.id AS plan_id
LIMIT $limit
