// get_communication_thread: the whole thread a communication belongs to (RESPONDS_TO
// chains back to the first message and forward to every reply), in time order, with
// sender, receiver and the plan or step it is about.
// Parameters: $communication_id
// Result columns: id, message_type, subject, content, priority, status, timestamp, from_agent, to_agent, responds_to, plan_id, step_id
MATCH (:AgentCommunication {id: $communication_id})-[:RESPONDS_TO*0..]->(first:AgentCommunication)
WHERE NOT (first)-[:RESPONDS_TO]->(:AgentCommunication)
MATCH (first)<-[:RESPONDS_TO*0..]-(c:AgentCommunication)
WITH DISTINCT c
RETURN c.id AS id, c.message_type AS message_type, c.subject AS subject, c.content AS content,
       c.priority AS priority, c.status AS status, c.timestamp AS timestamp,
       head([(f:Agent)-[:SENDS]->(c) | f.id]) AS from_agent,
       head([(t:Agent)-[:RECEIVES]->(c) | t.id]) AS to_agent,
       head([(c)-[:RESPONDS_TO]->(o:AgentCommunication) | o.id]) AS responds_to,
       head([(c)-[:ABOUT_PLAN]->(p:ExecutionPlan) | p.id]) AS plan_id,
       head([(c)-[:ABOUT_STEP]->(s:ExecutionStep) | s.id]) AS step_id
ORDER BY timestamp
