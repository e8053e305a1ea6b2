// approve_plan: A DRAFT plan awaiting approval becomes APPROVED.
// Parameters: $plan_approve_from, $plan_approve_to, $plan_id
// Result columns: id
MATCH (p:ExecutionPlan {id: $plan_id})
WHERE p.status IN $plan_approve_from
SET p.status = $plan_approve_to, p.approved_at = datetime()
RETURN p.id AS id
