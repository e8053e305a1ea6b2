// find_fail_fast_cancelled: The steps a plan's FAIL_FAST cancelled.
// Parameters: $plan_id
// Result columns: ids
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status = 'CANCELLED' AND s.cancelled_by_fail_fast
RETURN collect(s.id) AS ids
