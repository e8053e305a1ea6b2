// set_plan_counters: Set a plan's counters of unfinished and failed critical steps.
// Parameters: $failed_critical, $plan_id, $unfinished
// Result columns: none
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.unfinished = $unfinished, p.failed_critical = $failed_critical
