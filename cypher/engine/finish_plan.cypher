// finish_plan: End a plan whose steps are all terminal: COMPLETED, or FAILED if a critical step failed.
// Parameters: $plan_id
// Result columns: old, new
MATCH (p:ExecutionPlan {id: $plan_id})
WHERE p.status IN ['EXECUTING', 'PAUSED']
  AND (p.unfinished <= 0
       OR (p.failed_critical > 0 AND p.on_failure = 'CONTINUE'
           AND NOT EXISTS { (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
                            WHERE s.status IN ['READY', 'ASSIGNED', 'EXECUTING', 'WAITING'] }))
WITH p, p.status AS old
SET p.status = CASE WHEN p.failed_critical > 0 THEN 'FAILED' ELSE 'COMPLETED' END,
    p.completed_at = datetime(),
    p.actual_duration = duration.inSeconds(p.started_at, datetime()).seconds / 60.0
RETURN old, p.status AS new
