// list_plan_family: A plan and every plan below it (child plans, theirs, ...), with statuses and the last number each plan's journal has given.
// Parameters: $plan_id
// Result columns: id, status, seq
MATCH (root:ExecutionPlan {id: $plan_id})
MATCH (root)-[:CONTAINS_STEP|SPAWNED*0..64]->(p:ExecutionPlan)
WITH DISTINCT p
OPTIONAL MATCH (q:EventSequence {plan_id: p.id})
RETURN p.id AS id, p.status AS status, coalesce(q.last_seq, p.event_seq, 0) AS seq
