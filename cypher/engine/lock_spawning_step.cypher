// lock_spawning_step: Lock a spawning step and read its children.
// Parameters: $step_id
// Result columns: step, plan, children
MATCH (pp:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
WITH pp, s
MATCH (s)-[r:SPAWNED]->(c:ExecutionPlan)
WITH pp, s, c ORDER BY r.order
WITH pp, s, collect(c {.id, .name, .status, .on_failure}) AS children
RETURN s {.id, .status, .is_critical, .max_parallel_children, .spawn_summary} AS step,
       pp {.id, .on_failure} AS plan, children
