// get_step: one step with its plan, dependencies, dependents, child plans and events.
// Parameters: $step_id
// Result columns: step, dependencies, dependents, child_plans, events
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
RETURN s {.*, plan_id: p.id,
          assigned_to: head([(s)-[a:ASSIGNED_TO]->(agent:Agent)
                             WHERE NOT coalesce(a.reserved, false) | agent.id]),
          assignee: head([(s)-[a:ASSIGNED_TO {reserved: true}]->(agent:Agent) | agent.id]),
          depends_on: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d.key],
          requires_capabilities: [(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name]} AS step,
       [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d {.id, .key, .name, .status}] AS dependencies,
       [(s)<-[:DEPENDS_ON]-(d:ExecutionStep) | d {.id, .key, .name, .status}] AS dependents,
       [(s)-[:SPAWNED]->(c:ExecutionPlan) | c {.id, .name, .status, .created_at}] AS child_plans,
       [(s)<-[:ABOUT]-(e:Event) | e {.*, step_id: s.id}] AS events
