// answer_modification: A requested change is answered: its approver APPROVES_MODIFICATION,
// and it is REJECTED (with the reason) when rejected or when it no longer applies.
// APPLIED is written by the change itself (record_modifications), in the same transaction.
// Parameters: $approver_id, $approver_is_agent, $id, $modification_reject_to, $rejected, $why
// Result columns: request, plan_id, requester, requester_is_agent
MATCH (m:PlanModification {id: $id})-[:MODIFIES_PLAN]->(p:ExecutionPlan)
FOREACH (_ IN CASE WHEN $rejected THEN [1] ELSE [] END |
  SET m.status = $modification_reject_to, m.rejection_reason = $why)
FOREACH (_ IN CASE WHEN NOT $rejected AND $approver_is_agent THEN [1] ELSE [] END |
  MERGE (a:Agent {id: $approver_id}) ON CREATE SET a.name = $approver_id
  CREATE (a)-[:APPROVES_MODIFICATION {timestamp: datetime()}]->(m))
FOREACH (_ IN CASE WHEN NOT $rejected AND NOT $approver_is_agent THEN [1] ELSE [] END |
  MERGE (u:User {id: $approver_id}) ON CREATE SET u.name = $approver_id, u.created_at = datetime()
  CREATE (u)-[:APPROVES_MODIFICATION {timestamp: datetime()}]->(m))
RETURN m.request AS request, p.id AS plan_id,
       head([(r)-[:REQUESTS_MODIFICATION]->(m) | r.id]) AS requester,
       head([(r:Agent)-[:REQUESTS_MODIFICATION]->(m) | true]) IS NOT NULL AS requester_is_agent
