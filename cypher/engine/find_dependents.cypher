// find_dependents: The PENDING dependents of steps that ended whose dependencies are now all satisfied become READY, with their plans.
// Each dependent is locked (in id order) before its dependencies are read: of two
// transactions that complete a join's last two dependencies at once, the second waits
// for the first and sees its step COMPLETED, so one of them makes the join READY (a
// plan lock is not needed for it).
// Parameters: $plan_running, $satisfied, $step_failed, $step_ids, $step_pending, $step_ready_to
// Result columns: id, kind, plan_id
UNWIND $step_ids AS sid
MATCH (:ExecutionStep {id: sid})<-[:DEPENDS_ON]-(d:ExecutionStep {status: $step_pending})
WITH DISTINCT d
ORDER BY d.id
SET d.lock_seq = coalesce(d.lock_seq, 0) + 1
WITH d
WHERE d.status = $step_pending
  AND all(x IN [(d)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
          WHERE x.status IN $satisfied OR (x.status = $step_failed AND NOT x.is_critical))
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(d)
WHERE p.status IN $plan_running
SET d.status = $step_ready_to, d.ready_at = datetime()
RETURN d.id AS id, d.kind AS kind, p.id AS plan_id
