// reopen_plan: A FAILED plan runs again.
// Parameters: $critical, $plan_failed, $plan_id, $plan_reopen_from, $plan_reopen_to, $rearmed
// Result columns: old, new
MATCH (p:ExecutionPlan {id: $plan_id})
WITH p, p.status AS old
SET p.unfinished = p.unfinished + $rearmed, p.failed_critical = p.failed_critical - $critical,
    p.status = CASE WHEN p.status IN $plan_reopen_from THEN $plan_reopen_to ELSE p.status END,
    p.completed_at = CASE WHEN p.status = $plan_failed THEN null ELSE p.completed_at END
RETURN old, p.status AS new
