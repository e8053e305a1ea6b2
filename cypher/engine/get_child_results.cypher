// get_child_results: The steps of child plans, with status, changeset and error, in order.
// Parameters: $plan_ids
// Result columns: plan_id, steps
UNWIND $plan_ids AS pid
MATCH (c:ExecutionPlan {id: pid})-[:CONTAINS_STEP]->(x:ExecutionStep)
WITH c, x ORDER BY x.step_number
RETURN c.id AS plan_id,
       collect({key: x.key, status: x.status, changeset: x.changeset,
                error: x.error_message}) AS steps
