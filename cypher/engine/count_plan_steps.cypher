// count_plan_steps: Count a plan's unfinished steps and its failed critical ones.
// Parameters: $plan_id, $step_failed, $step_terminal
// Result columns: live, critical
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
RETURN count(CASE WHEN NOT s.status IN $step_terminal THEN 1 END) AS live,
       count(CASE WHEN s.status = $step_failed AND s.is_critical THEN 1 END) AS critical
