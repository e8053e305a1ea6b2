// get_decision: A decision with the plan and step it affects.
// Parameters: $id
// Result columns: decision
MATCH (d:Decision {id: $id}) RETURN 
d {.*, plan_id: head([(d)-[:AFFECTS_PLAN]->(p:ExecutionPlan) | p.id]),
    step_id: head([(d)-[:AFFECTS_STEP]->(s:ExecutionStep) | s.id]),
    decided_by: head([(u:User)-[:APPROVES|REJECTS]->(d) | u.id])}
 AS decision
