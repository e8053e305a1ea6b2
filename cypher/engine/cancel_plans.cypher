// cancel_plans: Cancel live plans and their unfinished steps, leases revoked.
// Parameters: $plan_cancel_from, $plan_cancel_to, $plan_ids, $reason, $step_cancel_from, $step_cancel_to
// Result columns: plan_id, old, steps
UNWIND $plan_ids AS pid
MATCH (p:ExecutionPlan {id: pid})
WHERE p.status IN $plan_cancel_from
WITH p, p.status AS old
SET p.status = $plan_cancel_to, p.completed_at = datetime()
WITH p, old
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN $step_cancel_from
WITH p, old, s, s.status AS step_old
SET s.status = $step_cancel_to, s.completed_at = datetime(), s.lease_token_hash = null,
    s.lease_expires_at = null, s.error_message = coalesce($reason, 'the plan was cancelled')
WITH p, old, collect(CASE WHEN s IS NOT NULL THEN {id: s.id, old: step_old} END) AS steps
SET p.unfinished = p.unfinished - size(steps)
RETURN p.id AS plan_id, old, steps
