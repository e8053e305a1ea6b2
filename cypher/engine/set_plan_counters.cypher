// set_plan_counters: Set a plan's counters of unfinished and failed critical steps.
// Parameters: $failed_critical, $plan_id, $unfinished
// Result columns: none
// $unfinished is the plan's count: its property holds it plus what its counter stripes
// hold (complete_steps).
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.unfinished = $unfinished + reduce(t = 0, x IN COLLECT {
      MATCH (k:PlanCounter) WHERE k.plan_id = p.id AND k.stripe >= 0 RETURN k.finished } | t + x),
    p.failed_critical = $failed_critical
