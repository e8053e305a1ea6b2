// get_plan: one plan with a page of its steps in order, their dependencies, capabilities,
// the agent each is assigned to (claimed by) and the agent reserved for it (assignee), the child
// plans each spawned and whether a change added it; for a child
// plan, the step that spawned it and that step's plan.
// Steps come a page at a time, in step_number order: those numbered after $steps_after
// (0: from the first), at most $limit, through the (plan_id, step_number) index, so a
// page costs its own steps, not the plan's. statuses counts every step of the plan by
// status (through the (plan_id, status) index).
// Parameters: $plan_id, $steps_after, $limit
// Result columns: plan, steps, statuses
MATCH (p:ExecutionPlan {id: $plan_id})
CALL () {
  // In the index's order, so only the page's steps are read (ordered by both of the
  // index's properties: ordered by step_number alone, Neo4j 5.26 sorts the whole plan).
  MATCH (s:ExecutionStep)
  WHERE s.plan_id = $plan_id AND s.step_number > $steps_after
  WITH s
  ORDER BY s.plan_id, s.step_number
  LIMIT $limit
  // Project each node once: a map projection as a grouping key is read on every row,
  // and a concurrent write between two rows would split the answer.
  RETURN collect(s {.*,
                    depends_on: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) | d.key],
                    requires_capabilities: [(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name],
                    assigned_to: head([(s)-[a:ASSIGNED_TO]->(agent:Agent)
                                       WHERE NOT coalesce(a.reserved, false) | agent.id]),
                    assignee: head([(s)-[a:ASSIGNED_TO {reserved: true}]->(agent:Agent) |
                                    agent.id]),
                    child_plan_ids: [(s)-[:SPAWNED]->(c:ExecutionPlan) | c.id],
                    added_by_change: EXISTS { (:PlanModification)-[:CREATES_STEP]->(s) }})
         AS steps
}
RETURN p {.*,
          manager_agent_id: head([(p)-[:MANAGED_BY]->(m:Agent) | m.id]),
          supersedes: head([(p)-[:SUPERSEDES]->(older:ExecutionPlan) | older.id]),
          superseded_by: head([(newer:ExecutionPlan)-[:SUPERSEDES]->(p) | newer.id]),
          parent_step_id: head([(ps:ExecutionStep)-[:SPAWNED]->(p) | ps.id]),
          parent_plan_id: head([(pp:ExecutionPlan)-[:CONTAINS_STEP]->(:ExecutionStep)
                                -[:SPAWNED]->(p) | pp.id]),
          root_plan_id: head([(root:ExecutionPlan)-[:CONTAINS_STEP|SPAWNED*0..]->(p)
                              WHERE NOT EXISTS { (:ExecutionStep)-[:SPAWNED]->(root) }
                              | root.id])} AS plan,
       steps,
       [status IN ['PENDING', 'READY', 'ASSIGNED', 'EXECUTING', 'WAITING', 'COMPLETED',
                   'FAILED', 'SKIPPED', 'CANCELLED']
        | {status: status,
           count: COUNT { MATCH (x:ExecutionStep) WHERE x.plan_id = p.id AND x.status = status }}]
         AS statuses
