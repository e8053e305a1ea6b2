// link_capabilities: Steps require capabilities (created on first use).
// Parameters: $rows
// Result columns: none
UNWIND $rows AS row
MERGE (c:Capability {name: row.name}) ON CREATE SET c.id = row.id
WITH c, row
MATCH (s:ExecutionStep {id: row.step_id})
CREATE (s)-[:REQUIRES_CAPABILITY]->(c)
