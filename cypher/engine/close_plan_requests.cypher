// close_plan_requests: The changes still waiting for approval in plans that have ended are
// closed: each PENDING MODIFY_PLAN decision REJECTED with a note as its comment, and its
// REQUESTED PlanModification REJECTED with the note as its rejection reason (approving
// one later would apply nothing: the plan no longer changes). $plans: {id, note} each.
// Parameters: $decision_reject_from, $decision_reject_to, $modification_reject_from, $modification_reject_to, $plans
// Result columns: id, plan_id, modification_id
UNWIND $plans AS ended
MATCH (d:Decision {type: 'MODIFY_PLAN'})
      -[:AFFECTS_PLAN]->(p:ExecutionPlan {id: ended.id})
WHERE d.status IN $decision_reject_from
SET d.status = $decision_reject_to, d.decided_at = datetime(), d.comment = ended.note
WITH d, p, ended
OPTIONAL MATCH (m:PlanModification {id: d.modification_id})
WHERE m.status IN $modification_reject_from
FOREACH (_ IN CASE WHEN m IS NULL THEN [] ELSE [1] END |
  SET m.status = $modification_reject_to, m.rejection_reason = ended.note)
RETURN d.id AS id, p.id AS plan_id, m.id AS modification_id
