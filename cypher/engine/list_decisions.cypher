// list_decisions: Decisions newest first, with the plan and step each affects; by status, type and plan (a decision about a step counts for the step's plan).
// Parameters: $limit, $plan_id, $status, $type
// Result columns: decision
MATCH (d:Decision)
WHERE ($status IS NULL OR d.status = $status) AND ($type IS NULL OR d.type = $type)
WITH d, head([(d)-[:AFFECTS_STEP]->(s:ExecutionStep) | s]) AS step
WHERE $plan_id IS NULL OR step.plan_id = $plan_id
   OR EXISTS { (d)-[:AFFECTS_PLAN]->(:ExecutionPlan {id: $plan_id}) }
WITH d, step ORDER BY d.timestamp DESC LIMIT $limit
RETURN
d {.*, plan_id: head([(d)-[:AFFECTS_PLAN]->(p:ExecutionPlan) | p.id]),
    step_id: step.id,
    decided_by: head([(u:User)-[:APPROVES|REJECTS]->(d) | u.id])}
 AS decision
