// get_plan: one plan with its steps in order, their dependencies, capabilities, the agent
// each is assigned to (claimed by) and the agent reserved for it (assignee), the child
// plans each spawned and whether a change added it; for a child
// plan, the step that spawned it and that step's plan.
// Parameters: $plan_id
// Result columns: plan, steps
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (p)-[r:CONTAINS_STEP]->(s:ExecutionStep)
WITH p, r, s
ORDER BY r.order
// Group by the node, then project it once: a map projection as the grouping key
// is read on every row, and a concurrent write to the plan between two rows
// would split the answer into several records.
WITH p,
     collect(s {.*,
                depends_on: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d.key],
                requires_capabilities: [(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name],
                assigned_to: head([(s)-[a:ASSIGNED_TO]->(agent:Agent)
                                   WHERE NOT coalesce(a.reserved, false) | agent.id]),
                assignee: head([(s)-[a:ASSIGNED_TO {reserved: true}]->(agent:Agent) |
                                agent.id]),
                child_plan_ids: [(s)-[:SPAWNED]->(c:ExecutionPlan) | c.id],
                added_by_change: EXISTS { (:PlanModification)-[:CREATES_STEP]->(s) }}) AS steps
RETURN p {.*,
          manager_agent_id: head([(p)-[:MANAGED_BY]->(m:Agent) | m.id]),
          supersedes: head([(p)-[:SUPERSEDES]->(older:ExecutionPlan) | older.id]),
          superseded_by: head([(newer:ExecutionPlan)-[:SUPERSEDES]->(p) | newer.id]),
          parent_step_id: head([(ps:ExecutionStep)-[:SPAWNED]->(p) | ps.id]),
          parent_plan_id: head([(pp:ExecutionPlan)-[:CONTAINS_STEP]->(:ExecutionStep)
                                -[:SPAWNED]->(p) | pp.id])} AS plan,
       steps
