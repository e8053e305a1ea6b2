// set_step_capabilities: A step's required capabilities and routing capability.
// Parameters: $capabilities, $ids, $routing, $step_id
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
SET s.routing_capability = $routing
WITH s
OPTIONAL MATCH (s)-[r:REQUIRES_CAPABILITY]->(:Capability)
DELETE r
WITH DISTINCT s
UNWIND $capabilities AS name
MERGE (c:Capability {name: name}) ON CREATE SET c.id = $ids[name]
CREATE (s)-[:REQUIRES_CAPABILITY]->(c)
