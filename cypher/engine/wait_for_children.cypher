// wait_for_children: A running step goes WAITING for the child plans it spawns.
// Parameters: $max_parallel, $step_id, $step_wait_to, $summary
// Result columns: plan_id, depth
MATCH (pp:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.status = $step_wait_to, s.lease_expires_at = null, s.attempt_deadline = null,
    s.started_at = coalesce(s.started_at, datetime()),
    s.max_parallel_children = $max_parallel, s.spawn_summary = $summary
RETURN pp.id AS plan_id, coalesce(pp.depth, 0) + 1 AS depth
