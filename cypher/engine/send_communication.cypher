// send_communication: A message between agents, about a plan or step, maybe answering another.
// Parameters: $communication_respond_to, $communication_send_to, $content, $from_id, $id, $message_type, $plan_id, $priority, $requires_action, $responds_to, $step_id, $subject, $to_id
// Result columns: id
MATCH (f:Agent {id: $from_id}), (t:Agent {id: $to_id})
CREATE (c:AgentCommunication {id: $id, message_type: $message_type, subject: $subject,
        content: $content, priority: $priority, status: $communication_send_to, timestamp: datetime(),
        requires_action: $requires_action})
CREATE (f)-[:SENDS]->(c)
CREATE (t)-[:RECEIVES]->(c)
WITH c
OPTIONAL MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (s:ExecutionStep {id: $step_id})
OPTIONAL MATCH (o:AgentCommunication {id: $responds_to})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (c)-[:ABOUT_PLAN]->(p))
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (c)-[:ABOUT_STEP]->(s))
FOREACH (_ IN CASE WHEN o IS NULL THEN [] ELSE [1] END |
  CREATE (c)-[:RESPONDS_TO]->(o) SET o.status = $communication_respond_to)
RETURN c.id AS id
