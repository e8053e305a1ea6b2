// find_direct_dependents: The steps that depend on these steps.
// Parameters: $step_ids
// Result columns: ids
UNWIND $step_ids AS sid
MATCH (:ExecutionStep {id: sid})<-[:DEPENDS_ON]-(d:ExecutionStep)
RETURN collect(DISTINCT d.id) AS ids
