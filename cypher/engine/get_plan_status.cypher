// get_plan_status: A plan's id and status.
// Parameters: $plan_id
// Result columns: id, status, seq
MATCH (p:ExecutionPlan {id: $plan_id})
RETURN p.id AS id, p.status AS status, coalesce(p.event_seq, 0) AS seq
