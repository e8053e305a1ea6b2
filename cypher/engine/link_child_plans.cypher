// link_child_plans: Link child plans to their spawning step, in order.
// Parameters: $plan_ids, $step_id
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
UNWIND range(0, size($plan_ids) - 1) AS i
MATCH (c:ExecutionPlan {id: $plan_ids[i]})
CREATE (s)-[:SPAWNED {order: i + 1}]->(c)
