// reserve_step: Reserve a step for one agent (or for any).
// Parameters: $agent_active, $agent_id, $step_id
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
OPTIONAL MATCH (s)-[r:ASSIGNED_TO {reserved: true}]->(:Agent)
DELETE r
WITH DISTINCT s
UNWIND CASE WHEN $agent_id IS NULL THEN [] ELSE [$agent_id] END AS agent_id
MERGE (a:Agent {id: agent_id}) ON CREATE SET a.name = agent_id, a.status = $agent_active
CREATE (s)-[:ASSIGNED_TO {reserved: true}]->(a)
