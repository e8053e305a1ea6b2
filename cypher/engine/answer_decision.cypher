// answer_decision: Approve or reject a decision, linking the User who did.
// Parameters: $comment, $decision_approve_to, $decision_reject_to, $id, $status, $user_id, $user_name
// Result columns: none
MATCH (d:Decision {id: $id})
SET d.status = $status, d.decided_at = datetime(), d.comment = $comment
MERGE (u:User {id: $user_id})
  ON CREATE SET u.name = coalesce($user_name, $user_id), u.created_at = datetime()
FOREACH (_ IN CASE WHEN $status = $decision_approve_to THEN [1] ELSE [] END |
  CREATE (u)-[:APPROVES {comment: $comment, timestamp: datetime()}]->(d))
FOREACH (_ IN CASE WHEN $status = $decision_reject_to THEN [1] ELSE [] END |
  CREATE (u)-[:REJECTS {comment: $comment, timestamp: datetime()}]->(d))
