// lock_communication: Lock a communication; its status and receiver.
// Parameters: $id
// Result columns: status, receiver
MATCH (c:AgentCommunication {id: $id})
SET c.lock_seq = coalesce(c.lock_seq, 0) + 1
RETURN c.status AS status, head([(c)<-[:RECEIVES]-(t:Agent) | t.id]) AS receiver
