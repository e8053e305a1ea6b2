// find_startable_steps: The not-started steps of a plan that may run now, computed from scratch (when it starts or resumes, and to reconcile it).
// Not started (PENDING or READY), and every dependency COMPLETED, SKIPPED, CANCELLED, or
// FAILED but not critical. (get_ready_steps answers the same for people, reading a
// running plan's READY steps at the cost of the frontier.)
// Parameters: $plan_id, $satisfied, $step_failed, $step_unstarted
// Result columns: id, status
MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN $step_unstarted
  AND all(d IN [(s)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE d.status IN $satisfied OR (d.status = $step_failed AND NOT d.is_critical))
RETURN s.id AS id, s.status AS status
ORDER BY s.step_number
