// list_plan_family: A plan and every plan below it (child plans, theirs, ...), with statuses.
// Parameters: $plan_id
// Result columns: id, status, seq
MATCH (root:ExecutionPlan {id: $plan_id})
MATCH (root)-[:CONTAINS_STEP|SPAWNED*0..64]->(p:ExecutionPlan)
RETURN DISTINCT p.id AS id, p.status AS status, coalesce(p.event_seq, 0) AS seq
