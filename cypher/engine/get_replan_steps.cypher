// get_replan_steps: The steps of a plan as a replan compares them: definition and outcome.
// Parameters: $plan_id
// Result columns: id, key, kind, description, inputs, status, depends_on
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
RETURN s.id AS id, s.key AS key, s.kind AS kind, s.description AS description,
       s.inputs AS inputs, s.status AS status,
       [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d.key] AS depends_on
