// request_modification: A change to a plan that needs approval is recorded, not applied.
// The PlanModification is REQUESTED (MODIFIES_PLAN, MODIFIES_STEP when about a step), with
// the request to replay (request: JSON); a PENDING MODIFY_PLAN Decision AFFECTS_PLAN (and
// the step) and names it (modification_id); the requester (User or Agent, created on
// first use; an Agent when $is_agent or when it manages the plan) REQUESTS_MODIFICATION.
// Parameters: $action, $actor_id, $actor_name, $agent_active, $decision_id, $decision_request_approval_to, $id, $is_agent, $modification_request_to, $plan_id, $reason, $request, $step_id, $type
// Result columns: none
MATCH (p:ExecutionPlan {id: $plan_id})
CREATE (m:PlanModification {id: $id, modification_type: $type, reason: $reason,
                            timestamp: datetime(), status: $modification_request_to,
                            request: $request, decision_id: $decision_id})
CREATE (m)-[:MODIFIES_PLAN]->(p)
CREATE (d:Decision {id: $decision_id, type: 'MODIFY_PLAN', status: $decision_request_approval_to,
                    requires_approval: true, action: $action, reasoning: $reason,
                    modification_id: $id, timestamp: datetime()})
CREATE (d)-[:AFFECTS_PLAN]->(p)
WITH p, m, d, $is_agent OR EXISTS { (p)-[:MANAGED_BY]->(:Agent {id: $actor_id}) } AS as_agent
OPTIONAL MATCH (s:ExecutionStep {id: $step_id})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  CREATE (m)-[:MODIFIES_STEP]->(s)
  CREATE (d)-[:AFFECTS_STEP]->(s))
FOREACH (_ IN CASE WHEN as_agent THEN [1] ELSE [] END |
  MERGE (a:Agent {id: $actor_id})
    ON CREATE SET a.name = coalesce($actor_name, $actor_id), a.status = $agent_active
  CREATE (a)-[:REQUESTS_MODIFICATION]->(m))
FOREACH (_ IN CASE WHEN as_agent THEN [] ELSE [1] END |
  MERGE (u:User {id: $actor_id})
    ON CREATE SET u.name = coalesce($actor_name, $actor_id), u.created_at = datetime()
  CREATE (u)-[:REQUESTS_MODIFICATION]->(m))
