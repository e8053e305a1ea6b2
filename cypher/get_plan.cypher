// get_plan: one plan with its steps in order, their dependencies, capabilities and assignees.
// Parameters: $plan_id
// Result columns: plan, steps
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (p)-[r:CONTAINS_STEP]->(s:ExecutionStep)
OPTIONAL MATCH (s)-[:ASSIGNED_TO]->(a:Agent)
WITH p, r, s, a
ORDER BY r.order
RETURN p {.*} AS plan,
       collect(s {.*,
                  depends_on: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d.key],
                  requires_capabilities: [(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name],
                  assigned_to: a.id}) AS steps
