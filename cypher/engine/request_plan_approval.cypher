// request_plan_approval: A PENDING EXECUTE decision for a plan that requires approval.
// Parameters: $decision_request_approval_to, $id, $plan_id
// Result columns: none
MATCH (p:ExecutionPlan {id: $plan_id})
CREATE (d:Decision {id: $id, type: 'EXECUTE', status: $decision_request_approval_to, requires_approval: true,
                    action: 'start plan ' + p.name, reasoning: p.description,
                    timestamp: datetime()})
CREATE (d)-[:AFFECTS_PLAN]->(p)
WITH d
OPTIONAL MATCH (a:Analysis)-[:CREATES_PLAN]->(:ExecutionPlan {id: $plan_id})
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | CREATE (a)-[:INFORMS_DECISION]->(d))
