// finish_plan: End a plan whose steps are all terminal: COMPLETED, or FAILED if a critical step failed.
// Run under the plan's lock (store.locks.lock_plan, or a write to the plan before it),
// so the plan ends once. Its unfinished steps: `unfinished` less its stripes' `finished`.
// Its stripes are locked first (lock_plan_counters), so the completions in flight have
// committed and are counted.
// Parameters: $plan_complete_from, $plan_complete_to, $plan_fail_to, $plan_id, $step_runnable
// Result columns: old, new
MATCH (p:ExecutionPlan {id: $plan_id})
WITH p, p.unfinished - reduce(t = 0, x IN COLLECT {
                                MATCH (k:PlanCounter) WHERE k.plan_id = p.id AND k.stripe >= 0
                                RETURN k.finished } | t + x) AS left
WHERE p.status IN $plan_complete_from
  AND (left <= 0
       OR (p.failed_critical > 0 AND p.on_failure = 'CONTINUE'
           AND NOT EXISTS { (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
                            WHERE s.status IN $step_runnable }))
WITH p, p.status AS old
SET p.status = CASE WHEN p.failed_critical > 0 THEN $plan_fail_to ELSE $plan_complete_to END,
    p.completed_at = datetime(),
    p.actual_duration = duration.inSeconds(p.started_at, datetime()).seconds / 60.0
RETURN old, p.status AS new
