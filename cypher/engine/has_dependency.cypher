// has_dependency: Whether one step already depends on another.
// Parameters: $from_id, $to_id
// Result columns: n
MATCH (:ExecutionStep {id: $from_id})-[r:DEPENDS_ON]->(:ExecutionStep {id: $to_id})
RETURN count(r) AS n
