// add_dependency: One step now depends on another.
// Parameters: $from_id, $to_id
// Result columns: none
MATCH (s:ExecutionStep {id: $from_id}), (d:ExecutionStep {id: $to_id})
CREATE (s)-[:DEPENDS_ON]->(d)
