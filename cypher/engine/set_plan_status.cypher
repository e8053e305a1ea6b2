// set_plan_status: Set a plan's status (and when it started).
// Parameters: $plan_executing, $plan_id, $plan_terminal, $status
// Result columns: none
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.status = $status,
    p.started_at = CASE WHEN $status = $plan_executing THEN coalesce(p.started_at, datetime())
                        ELSE p.started_at END,
    p.completed_at = CASE WHEN $status IN $plan_terminal
                          THEN datetime() ELSE p.completed_at END
