// lock_plan_for_reconcile: Lock a plan and count its live and failed critical steps.
// Parameters: $plan_id, $step_failed, $terminal
// Result columns: status, on_failure, unfinished, failed_critical, live, critical
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.lock_seq = coalesce(p.lock_seq, 0) + 1
WITH p
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
RETURN p.status AS status, p.on_failure AS on_failure, p.unfinished AS unfinished,
       p.failed_critical AS failed_critical,
       count(CASE WHEN NOT s.status IN $terminal THEN 1 END) AS live,
       count(CASE WHEN s.status = $step_failed AND s.is_critical THEN 1 END) AS critical
