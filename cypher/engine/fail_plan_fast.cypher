// fail_plan_fast: A critical failure under FAIL_FAST: the plan FAILED, its unstarted steps CANCELLED.
// Parameters: $plan_id
// Each of the cancelled is {id, old}: the step and its status before.
// Result columns: cancelled
MATCH (p:ExecutionPlan {id: $plan_id})
WHERE p.status IN ['EXECUTING', 'PAUSED']
SET p.status = 'FAILED', p.completed_at = datetime()
WITH p
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN ['PENDING', 'READY']
WITH p, s, s.status AS old
SET s.status = 'CANCELLED', s.completed_at = datetime(), s.cancelled_by_fail_fast = true,
    s.error_message = 'cancelled: the plan failed (on_failure FAIL_FAST)'
WITH p, collect(CASE WHEN s IS NOT NULL THEN {id: s.id, old: old} END) AS cancelled
SET p.unfinished = p.unfinished - size(cancelled)
RETURN cancelled
