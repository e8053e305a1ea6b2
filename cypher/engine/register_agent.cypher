// register_agent: Create or update an agent with exactly these capabilities.
// Parameters: $capabilities, $id, $name, $status
// Result columns: none
MERGE (a:Agent {id: $id})
  ON CREATE SET a.created_at = datetime()
SET a.name = coalesce($name, a.name, $id), a.status = $status, a.last_seen_at = datetime()
WITH a
OPTIONAL MATCH (a)-[old:HAS_CAPABILITY]->(:Capability)
DELETE old
WITH DISTINCT a
UNWIND $capabilities AS cap
MERGE (c:Capability {name: cap.name}) ON CREATE SET c.id = cap.id
CREATE (a)-[:HAS_CAPABILITY]->(c)
