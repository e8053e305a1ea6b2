// find_downstream_steps: The terminal steps downstream of a step.
// Parameters: $step_id, $terminal
// Result columns: ids
MATCH (:ExecutionStep {id: $step_id})<-[:DEPENDS_ON*1..]-(d:ExecutionStep)
WHERE d.status IN $terminal
RETURN collect(DISTINCT d.id) AS ids
