// approve_plan: A DRAFT plan awaiting approval becomes APPROVED.
// Parameters: $plan_id
// Result columns: id
MATCH (p:ExecutionPlan {id: $plan_id, status: 'DRAFT'})
SET p.status = 'APPROVED', p.approved_at = datetime()
RETURN p.id AS id
