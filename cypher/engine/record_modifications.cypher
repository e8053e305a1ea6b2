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
// MERGE: an approved change applies the REQUESTED modification itself (same id).
MERGE (m:PlanModification {id: row.id})
SET m.modification_type = row.type, m.old_value = row.old, m.new_value = row.new,
    m.reason = coalesce(m.reason, $reason), m.timestamp = coalesce(m.timestamp, datetime()),
    m.applied_at = datetime(), m.status = $modification_applied, m.plan_version = version
MERGE (m)-[:MODIFIES_PLAN]->(p)
WITH m, row, as_agent
OPTIONAL MATCH (s:ExecutionStep {id: row.step_id})
FOREACH (_ IN CASE WHEN s IS NOT NULL AND NOT row.creates AND NOT row.removes THEN [1]
              ELSE [] END |
         MERGE (m)-[:MODIFIES_STEP]->(s))
FOREACH (_ IN CASE WHEN s IS NOT NULL AND row.removes THEN [1] ELSE [] END |
         CREATE (m)-[:REMOVES_STEP]->(s))
FOREACH (_ IN CASE WHEN s IS NOT NULL AND row.creates THEN [1] ELSE [] END |
         CREATE (m)-[:CREATES_STEP]->(s))
WITH as_agent, collect(DISTINCT m) AS modifications
FOREACH (_ IN CASE WHEN as_agent THEN [1] ELSE [] END |
  MERGE (a:Agent {id: $actor_id})
    ON CREATE SET a.name = coalesce($actor_name, $actor_id), a.status = $agent_active
  FOREACH (m IN modifications | MERGE (a)-[:REQUESTS_MODIFICATION]->(m)))
FOREACH (_ IN CASE WHEN as_agent THEN [] ELSE [1] END |
  MERGE (u:User {id: $actor_id})
    ON CREATE SET u.name = coalesce($actor_name, $actor_id), u.created_at = datetime()
  FOREACH (m IN modifications | MERGE (u)-[:REQUESTS_MODIFICATION]->(m)))
