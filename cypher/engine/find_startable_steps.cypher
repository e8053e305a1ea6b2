// find_startable_steps: The PENDING steps of a plan that may run now, computed from scratch (when it starts or resumes).
// Not started, and every dependency COMPLETED, SKIPPED, CANCELLED, or FAILED but not
// critical (get_ready_steps answers the same for people, at the cost of the frontier).
// Parameters: $plan_id, $satisfied, $step_failed, $step_pending
// Result columns: id
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status = $step_pending
  AND all(d IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE d.status IN $satisfied OR (d.status = $step_failed AND NOT d.is_critical))
RETURN s.id AS id
ORDER BY s.step_number
