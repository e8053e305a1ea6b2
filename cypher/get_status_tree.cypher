// get_status_tree: a plan and its family of child plans ((step)-[:SPAWNED]->(plan)) down to
// $depth levels below it, one row per plan, each level after the one above, with its steps.
// A step's child_count counts the plans it spawned, shown or not (cut by the depth limit).
// Parameters: $plan_id, $depth
// Result columns: plan_id, parent_step_id, level, name, status, steps
MATCH path = (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP|SPAWNED*0..]->(p:ExecutionPlan)
WHERE length(path) <= 2 * $depth
WITH p, length(path) / 2 AS level, [n IN nodes(path) WHERE n:ExecutionStep] AS via
ORDER BY level, p.created_at, p.id
RETURN p.id AS plan_id, via[-1].id AS parent_step_id, level, p.name AS name,
       p.status AS status,
       [(p)-[:CONTAINS_STEP]->(s:ExecutionStep) |
        s {.id, .key, .name, .kind, .status, .step_number, .error_message,
           child_count: COUNT { (s)-[:SPAWNED]->() }}] AS steps
