// get_plan_progress: A plan's status, its unfinished steps (its counter less its stripes' finished steps) and failed critical steps.
// Parameters: $plan_id
// Result columns: status, left, failed_critical
MATCH (p:ExecutionPlan {id: $plan_id})
RETURN p.status AS status,
       p.unfinished - reduce(t = 0, x IN COLLECT { MATCH (k:PlanCounter {plan_id: p.id})
                                                  RETURN k.finished } | t + x) AS left,
       p.failed_critical AS failed_critical
