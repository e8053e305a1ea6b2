// fail_plan_fast: A critical failure under FAIL_FAST: the plan FAILED, its unstarted steps CANCELLED.
// So are its waiting gate steps ($gate_kinds): nobody is to approve or answer them now;
// and its held chained steps (leased with a chain behind a step that has not
// completed): they have not started either.
// Parameters: $gate_kinds, $plan_fail_from, $plan_fail_to, $plan_id, $step_cancel_to, $step_chain_to, $step_completed, $step_unstarted, $step_waiting
// Each of the cancelled is {id, old}: the step and its status before; old_status is the
// plan's.
// Result columns: old_status, cancelled
MATCH (p:ExecutionPlan {id: $plan_id})
WHERE p.status IN $plan_fail_from
WITH p, p.status AS old_status
SET p.status = $plan_fail_to, p.completed_at = datetime()
WITH p, old_status
CALL (p) {
  MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
  WHERE s.status IN $step_unstarted OR (s.status = $step_waiting AND s.kind IN $gate_kinds)
     OR (s.status = $step_chain_to AND s.chained_after IS NOT NULL)
  WITH s ORDER BY s.id
  // Locked (in id order), then checked again under the lock: completions do not lock
  // the plan, so one may have completed, claimed or opened the step meanwhile.
  SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
  WITH s
  WHERE s.status IN $step_unstarted OR (s.status = $step_waiting AND s.kind IN $gate_kinds)
     OR (s.status = $step_chain_to AND s.chained_after IS NOT NULL
         AND NOT EXISTS { (s)-[:DEPENDS_ON]->(d:ExecutionStep)
                          WHERE d.id = s.chained_after AND d.status = $step_completed })
  WITH s, s.status AS old
  SET s.status = $step_cancel_to, s.completed_at = datetime(),
      s.cancelled_by_fail_fast = true, s.lease_token_hash = null,
      s.lease_expires_at = null, s.chained_after = null,
      s.error_message = 'cancelled: the plan failed (on_failure FAIL_FAST)'
  RETURN collect({id: s.id, old: old}) AS cancelled
}
SET p.unfinished = p.unfinished - size(cancelled)
RETURN old_status, cancelled
