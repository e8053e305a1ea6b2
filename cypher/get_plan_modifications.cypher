// get_plan_modifications: every change made to a plan while it ran, newest first: what
// changed (old and new values as JSON), why, the step changed or created, who requested
// it (a User or an Agent) and who approved it, if anyone. $status filters (null: all;
// REQUESTED: the changes awaiting approval, with their decision_id).
// Parameters: $plan_id, $status
// Result columns: id, modification_type, status, reason, old_value, new_value, timestamp, plan_version, step_id, step_key, requested_by, approved_by, decision_id, rejection_reason
MATCH (m:PlanModification)-[:MODIFIES_PLAN]->(:ExecutionPlan {id: $plan_id})
WHERE $status IS NULL OR m.status = $status
OPTIONAL MATCH (m)-[:MODIFIES_STEP|CREATES_STEP|REMOVES_STEP]->(changed:ExecutionStep)
// One row per modification (an approved REMOVE_STEP both MODIFIES_STEP and REMOVES_STEP).
WITH m, head(collect(changed)) AS s
OPTIONAL MATCH (requester)-[:REQUESTS_MODIFICATION]->(m)
RETURN m.id AS id, m.modification_type AS modification_type, m.status AS status,
       m.reason AS reason, m.old_value AS old_value, m.new_value AS new_value,
       m.timestamp AS timestamp, m.plan_version AS plan_version,
       s.id AS step_id, s.key AS step_key,
       requester {.id, .name, kind: head(labels(requester))} AS requested_by,
       [(approver)-[:APPROVES_MODIFICATION]->(m) |
        approver {.id, .name, kind: head(labels(approver))}] AS approved_by,
       m.decision_id AS decision_id, m.rejection_reason AS rejection_reason
ORDER BY m.timestamp DESC, m.plan_version DESC
