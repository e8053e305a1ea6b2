// get_plan_steps_with_agents: every step of a plan in order, with the agent it is assigned
// to and the agent that executed it.
// Parameters: $plan_id
// Result columns: step_number, key, name, kind, status, assigned_agent, executed_by
MATCH (:ExecutionPlan {id: $plan_id})-[r:CONTAINS_STEP]->(s:ExecutionStep)
OPTIONAL MATCH (s)-[:ASSIGNED_TO]->(a:Agent)
OPTIONAL MATCH (e:Agent)-[:EXECUTES]->(s)
RETURN s.step_number AS step_number, s.key AS key, s.name AS name, s.kind AS kind,
       s.status AS status, a.name AS assigned_agent, e.name AS executed_by
ORDER BY r.order
