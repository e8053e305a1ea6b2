// lock_decision: Lock a decision and read it.
// Parameters: $id
// Result columns: decision
MATCH (d:Decision {id: $id})
SET d.lock_seq = coalesce(d.lock_seq, 0) + 1
RETURN 
d {.*, plan_id: head([(d)-[:AFFECTS_PLAN]->(p:ExecutionPlan) | p.id]),
    step_id: head([(d)-[:AFFECTS_STEP]->(s:ExecutionStep) | s.id]),
    decided_by: head([(u:User)-[:APPROVES|REJECTS]->(d) | u.id])}
 AS decision
