// open_gates: READY approval and human_input steps go WAITING (approval steps with a PENDING decision).
// Parameters: $decision_ids, $decision_request_approval_to, $kinds, $step_ids, $step_open_gate_to, $step_ready
// Result columns: id, plan_id, kind
UNWIND $step_ids AS sid
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: sid, status: $step_ready})
WHERE s.kind IN $kinds
SET s.status = $step_open_gate_to, s.started_at = datetime(),
    s.wait_deadline = CASE WHEN s.deadline_seconds IS NULL THEN null
                           ELSE datetime() + duration({seconds: s.deadline_seconds}) END
WITH p, s
FOREACH (_ IN CASE WHEN s.kind = 'approval' THEN [1] ELSE [] END |
  CREATE (d:Decision {id: $decision_ids[s.id], type: 'APPROVAL', status: $decision_request_approval_to,
                      requires_approval: true, action: 'approve step ' + s.key,
                      reasoning: s.description, timestamp: datetime()})
  CREATE (d)-[:AFFECTS_STEP]->(s)
  CREATE (d)-[:AFFECTS_PLAN]->(p))
RETURN s.id AS id, p.id AS plan_id, s.kind AS kind
