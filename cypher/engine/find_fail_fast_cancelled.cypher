// find_fail_fast_cancelled: The steps a plan's FAIL_FAST cancelled.
// Parameters: $plan_id, $step_cancelled
// Result columns: ids
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status = $step_cancelled AND s.cancelled_by_fail_fast
RETURN collect(s.id) AS ids
