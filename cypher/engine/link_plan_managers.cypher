// link_plan_managers: Each plan MANAGED_BY the agent its spec names (created on first use).
// Parameters: $agent_active, $rows
// Each row is {plan_id, agent_id}.
// Result columns: none
UNWIND $rows AS row
MATCH (p:ExecutionPlan {id: row.plan_id})
MERGE (a:Agent {id: row.agent_id})
  ON CREATE SET a.name = row.agent_id, a.status = $agent_active
CREATE (p)-[:MANAGED_BY]->(a)
