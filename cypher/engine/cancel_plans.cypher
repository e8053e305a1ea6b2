// cancel_plans: Cancel live plans and their unfinished steps, leases revoked.
// Parameters: $plan_ids, $reason
// Result columns: plan_id, old, steps
UNWIND $plan_ids AS pid
MATCH (p:ExecutionPlan {id: pid})
WHERE p.status IN ['DRAFT', 'APPROVED', 'EXECUTING', 'PAUSED']
WITH p, p.status AS old
SET p.status = 'CANCELLED', p.completed_at = datetime()
WITH p, old
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN ['PENDING', 'READY', 'ASSIGNED', 'EXECUTING', 'WAITING']
WITH p, old, s, s.status AS step_old
SET s.status = 'CANCELLED', s.completed_at = datetime(), s.lease_token_hash = null,
    s.lease_expires_at = null, s.error_message = coalesce($reason, 'the plan was cancelled')
WITH p, old, collect(CASE WHEN s IS NOT NULL THEN {id: s.id, old: step_old} END) AS steps
SET p.unfinished = p.unfinished - size(steps)
RETURN p.id AS plan_id, old, steps
