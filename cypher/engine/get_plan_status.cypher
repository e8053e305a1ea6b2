// get_plan_status: A plan's id, status and the last number its journal has given.
// Parameters: $plan_id
// Result columns: id, status, seq
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (q:EventSequence {plan_id: p.id})
RETURN p.id AS id, p.status AS status, coalesce(q.last_seq, p.event_seq, 0) AS seq
