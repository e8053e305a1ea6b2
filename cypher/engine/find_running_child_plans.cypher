// find_running_child_plans: The child plans that WAITING steps of these plans spawned.
// The child plans that WAITING steps of these plans spawned: a running child plan's
// spawning step waits while it runs, so this finds every plan that can have READY steps.
// Parameters: $plan_ids, $step_waiting
// Result columns: ids
MATCH (w:ExecutionStep)
WHERE w.plan_id IN $plan_ids AND w.status = $step_waiting
MATCH (w)-[:SPAWNED]->(c:ExecutionPlan)
RETURN collect(DISTINCT c.id) AS ids
