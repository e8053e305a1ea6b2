// resolve_step_refs: Step ids from ids or keys of the plan's steps.
// Parameters: $plan_id, $refs
// Result columns: ref, step, elsewhere
UNWIND $refs AS ref
OPTIONAL MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.id = ref OR s.key = ref
WITH ref, s
OPTIONAL MATCH (other:ExecutionStep {id: ref})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
RETURN ref, s {.id, .key, .status, .is_critical} AS step, other IS NOT NULL AS elsewhere
