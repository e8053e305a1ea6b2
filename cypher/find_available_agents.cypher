// find_available_agents: ACTIVE agents that have every capability in $capabilities (an
// empty list: any agent), least busy first, with how many steps each holds now.
// Parameters: $capabilities
// Result columns: id, name, capabilities, active_steps, last_seen_at
MATCH (a:Agent {status: 'ACTIVE'})
WHERE all(c IN $capabilities WHERE EXISTS { (a)-[:HAS_CAPABILITY]->(:Capability {name: c}) })
WITH a, COUNT { (s:ExecutionStep)-[r:ASSIGNED_TO]->(a)
                WHERE s.status IN ['ASSIGNED', 'EXECUTING'] AND NOT coalesce(r.reserved, false) }
        AS active_steps
RETURN a.id AS id, a.name AS name, [(a)-[:HAS_CAPABILITY]->(c:Capability) | c.name] AS capabilities,
       active_steps, a.last_seen_at AS last_seen_at
ORDER BY active_steps, a.last_seen_at DESC
