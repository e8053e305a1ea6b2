// get_step_links: A step's required capabilities and the agent it is reserved for.
// Parameters: $id
// Result columns: capabilities, assignee
MATCH (s:ExecutionStep {id: $id})
RETURN [(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name] AS capabilities,
       head([(s)-[:ASSIGNED_TO {reserved: true}]->(a:Agent) | a.id]) AS assignee
