// list_decisions: Decisions newest first, with the plan and step each affects.
// Parameters: $limit, $status
// Result columns: decision
MATCH (d:Decision)
WHERE $status IS NULL OR d.status = $status
WITH d ORDER BY d.timestamp DESC LIMIT $limit
RETURN 
d {.*, plan_id: head([(d)-[:AFFECTS_PLAN]->(p:ExecutionPlan) | p.id]),
    step_id: head([(d)-[:AFFECTS_STEP]->(s:ExecutionStep) | s.id]),
    decided_by: head([(u:User)-[:APPROVES|REJECTS]->(d) | u.id])}
 AS decision
