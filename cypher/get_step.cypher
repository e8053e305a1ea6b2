// get_step: one step with its plan, dependencies, dependents, child plans and events.
// Parameters: $step_id
// Events: the step's transitions, from the journal batches that RECORDS them (seq null
// until the batch is numbered, moments after its commit) and, for steps of earlier
// versions, from Event nodes ABOUT it.
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
       [(s)<-[r:RECORDS]-(b:EventBatch) |
        {id: b.id + '.' + right('00000' + toString(r.position), 6),
         seq: b.first_seq + r.position, type: r.type, step_id: s.id,
         from_status: r.from_status, to_status: r.to_status,
         message: nullIf(b.messages[r.position], ''), detail: nullIf(b.details[r.position], ''),
         actor: nullIf(b.actors[r.position], ''), timestamp: b.timestamp}] +
       [(s)<-[:ABOUT]-(e:Event) | e {.*, step_id: s.id}] AS events
