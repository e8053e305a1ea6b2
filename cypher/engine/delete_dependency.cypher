// delete_dependency: Remove a dependency, by the dependency's id or key.
// Parameters: $dep, $from_id
// Result columns: dep_id, dep_key
MATCH (:ExecutionStep {id: $from_id})-[r:DEPENDS_ON]->(d:ExecutionStep)
WHERE d.id = $dep OR d.key = $dep
WITH r, d.id AS dep_id, d.key AS dep_key
DELETE r
RETURN dep_id, dep_key
