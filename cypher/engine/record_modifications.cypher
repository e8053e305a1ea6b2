// record_modifications: APPLIED PlanModifications, requested by a User or an Agent.
// An Agent with $is_agent, or when the actor is the agent the plan is MANAGED_BY; a User
// otherwise; either created on first use.
// Parameters: $actor_id, $actor_name, $agent_active, $is_agent, $modification_applied, $plan_id, $reason, $rows
// Result columns: none
MATCH (p:ExecutionPlan {id: $plan_id})
WITH p, coalesce(p.version, 1) AS base,
     $is_agent OR EXISTS { (p)-[:MANAGED_BY]->(:Agent {id: $actor_id}) } AS as_agent
SET p.version = base + size($rows)
WITH p, base, as_agent
UNWIND range(0, size($rows) - 1) AS i
WITH p, as_agent, base + i + 1 AS version, $rows[i] AS row
CREATE (m:PlanModification {id: row.id, modification_type: row.type, old_value: row.old,
                            new_value: row.new, reason: $reason, timestamp: datetime(),
                            status: $modification_applied, plan_version: version})
CREATE (m)-[:MODIFIES_PLAN]->(p)
WITH m, row, as_agent
OPTIONAL MATCH (s:ExecutionStep {id: row.step_id})
FOREACH (_ IN CASE WHEN s IS NOT NULL AND NOT row.creates AND NOT row.removes THEN [1]
              ELSE [] END |
         CREATE (m)-[:MODIFIES_STEP]->(s))
FOREACH (_ IN CASE WHEN s IS NOT NULL AND row.removes THEN [1] ELSE [] END |
         CREATE (m)-[:REMOVES_STEP]->(s))
FOREACH (_ IN CASE WHEN s IS NOT NULL AND row.creates THEN [1] ELSE [] END |
         CREATE (m)-[:CREATES_STEP]->(s))
WITH as_agent, collect(DISTINCT m) AS modifications
FOREACH (_ IN CASE WHEN as_agent THEN [1] ELSE [] END |
  MERGE (a:Agent {id: $actor_id})
    ON CREATE SET a.name = coalesce($actor_name, $actor_id), a.status = $agent_active
  FOREACH (m IN modifications | CREATE (a)-[:REQUESTS_MODIFICATION]->(m)))
FOREACH (_ IN CASE WHEN as_agent THEN [] ELSE [1] END |
  MERGE (u:User {id: $actor_id})
    ON CREATE SET u.name = coalesce($actor_name, $actor_id), u.created_at = datetime()
  FOREACH (m IN modifications | CREATE (u)-[:REQUESTS_MODIFICATION]->(m)))
