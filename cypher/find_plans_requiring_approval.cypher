// find_plans_requiring_approval: plans waiting for a person: DRAFT plans with a PENDING
// EXECUTE decision, and running plans with an approval step WAITING on a PENDING APPROVAL
// decision; oldest request first.
// Parameters: none
// Result columns: plan_id, plan, plan_status, decision_id, decision_type, action, step_key, requested_at
MATCH (d:Decision {status: 'PENDING'})-[:AFFECTS_PLAN]->(p:ExecutionPlan)
WHERE d.type IN ['EXECUTE', 'APPROVAL'] AND d.requires_approval
RETURN p.id AS plan_id, p.name AS plan, p.status AS plan_status, d.id AS decision_id,
       d.type AS decision_type, d.action AS action,
       head([(d)-[:AFFECTS_STEP]->(s:ExecutionStep) | s.key]) AS step_key,
       d.timestamp AS requested_at
ORDER BY requested_at
