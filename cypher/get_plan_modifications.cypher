// get_plan_modifications: every change made to a plan while it ran, newest first: what
// changed (old and new values as JSON), why, the step changed or created, who requested
// it (a User or an Agent) and who approved it, if anyone.
// Parameters: $plan_id
// Result columns: id, modification_type, status, reason, old_value, new_value, timestamp, plan_version, step_id, step_key, requested_by, approved_by
MATCH (m:PlanModification)-[:MODIFIES_PLAN]->(:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (m)-[:MODIFIES_STEP|CREATES_STEP]->(s:ExecutionStep)
OPTIONAL MATCH (requester)-[:REQUESTS_MODIFICATION]->(m)
RETURN m.id AS id, m.modification_type AS modification_type, m.status AS status,
       m.reason AS reason, m.old_value AS old_value, m.new_value AS new_value,
       m.timestamp AS timestamp, m.plan_version AS plan_version,
       s.id AS step_id, s.key AS step_key,
       requester {.id, .name, kind: head(labels(requester))} AS requested_by,
       [(approver)-[:APPROVES_MODIFICATION]->(m) |
        approver {.id, .name, kind: head(labels(approver))}] AS approved_by
ORDER BY m.timestamp DESC, m.plan_version DESC
