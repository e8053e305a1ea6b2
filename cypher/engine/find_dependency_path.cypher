// find_dependency_path: A dependency path that a new edge would close into a cycle.
// Parameters: $from_id, $to_id
// Result columns: keys
MATCH (d:ExecutionStep {id: $from_id}), (s:ExecutionStep {id: $to_id})
MATCH path = shortestPath((d)-[:DEPENDS_ON*..1000]->(s))
RETURN [n IN nodes(path) | n.key] AS keys
