// get_agent_workload: what an agent holds now (steps ASSIGNED_TO it that are ASSIGNED or
// EXECUTING, with their plans), what is reserved for it, and what it has done (EXECUTES).
// Parameters: $agent_id
// Result columns: agent, capabilities, active_steps, reserved_steps, completed_count, failed_count
MATCH (a:Agent {id: $agent_id})
RETURN a {.id, .name, .status, .last_seen_at} AS agent,
       [(a)-[:HAS_CAPABILITY]->(c:Capability) | c.name] AS capabilities,
       [(p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep)-[r:ASSIGNED_TO]->(a)
        WHERE s.status IN ['ASSIGNED', 'EXECUTING'] AND NOT coalesce(r.reserved, false) |
        {step_id: s.id, key: s.key, status: s.status, plan_id: p.id, plan: p.name,
         lease_expires_at: s.lease_expires_at}] AS active_steps,
       [(s:ExecutionStep)-[:ASSIGNED_TO {reserved: true}]->(a)
        WHERE s.status IN ['PENDING', 'READY'] | {step_id: s.id, key: s.key, status: s.status}]
       AS reserved_steps,
       COUNT { (a)-[:EXECUTES]->(:ExecutionStep {status: 'COMPLETED'}) } AS completed_count,
       COUNT { (a)-[:EXECUTES]->(:ExecutionStep {status: 'FAILED'}) } AS failed_count
