// list_plan_events: A plan's events after a sequence number, in order.
// Parameters: $after, $limit, $plan_id
// Result columns: plan_id, events
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (p)<-[:ABOUT]-(e:Event)
WHERE e.seq > $after
WITH p, e ORDER BY e.seq LIMIT $limit
RETURN p.id AS plan_id,
       collect(e {.*, step_id: head([(e)-[:ABOUT]->(s:ExecutionStep) | s.id])}) AS events
