// close_step_decisions: The PENDING approvals of these gate steps are closed: REJECTED, with a note.
// Only APPROVAL decisions: a change requested about the step (MODIFY_PLAN) keeps its own.
// Parameters: $decision_pending, $decision_reject_to, $note, $step_ids
// Result columns: id, plan_id, step_id
UNWIND $step_ids AS sid
MATCH (d:Decision {status: $decision_pending, type: 'APPROVAL'})-[:AFFECTS_STEP]->(s:ExecutionStep {id: sid})
SET d.status = $decision_reject_to, d.decided_at = datetime(), d.comment = $note
RETURN d.id AS id, s.plan_id AS plan_id, s.id AS step_id
