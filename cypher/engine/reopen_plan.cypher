// reopen_plan: A FAILED plan runs again.
// Parameters: $critical, $plan_id, $rearmed
// Result columns: old, new
MATCH (p:ExecutionPlan {id: $plan_id})
WITH p, p.status AS old
SET p.unfinished = p.unfinished + $rearmed, p.failed_critical = p.failed_critical - $critical,
    p.status = CASE WHEN p.status = 'FAILED' THEN 'EXECUTING' ELSE p.status END,
    p.completed_at = CASE WHEN p.status = 'FAILED' THEN null ELSE p.completed_at END
RETURN old, p.status AS new
