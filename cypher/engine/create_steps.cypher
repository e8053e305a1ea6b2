// create_steps: Create the steps of plans, in order.
// Parameters: $groups, $step_ready
// Result columns: none
UNWIND $groups AS g
MATCH (p:ExecutionPlan {id: g.plan_id})
UNWIND g.steps AS row
CREATE (p)-[:CONTAINS_STEP {order: row.step_number}]->(s:ExecutionStep)
SET s = row, s.plan_id = p.id,
    s.ready_at = CASE WHEN row.status = $step_ready THEN datetime() END
