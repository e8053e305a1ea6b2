// cancel_plans: Cancel live plans and their unfinished steps, leases revoked.
// Parameters: $plan_cancel_from, $plan_cancel_to, $plan_ids, $reason, $step_cancel_from, $step_cancel_to
// Result columns: plan_id, old, steps
UNWIND $plan_ids AS pid
MATCH (p:ExecutionPlan {id: pid})
WHERE p.status IN $plan_cancel_from
WITH p, p.status AS old
SET p.status = $plan_cancel_to, p.completed_at = datetime()
WITH p, old
CALL {
  WITH p
  MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
  WHERE s.status IN $step_cancel_from
  WITH s ORDER BY s.id
  // Locked (in id order, as completions lock steps), then checked again under the lock:
  // completions do not lock the plan, so one may have ended the step meanwhile.
  SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
  WITH s
  WHERE s.status IN $step_cancel_from
  WITH s, s.status AS step_old
  SET s.status = $step_cancel_to, s.completed_at = datetime(), s.lease_token_hash = null,
      s.lease_expires_at = null, s.error_message = coalesce($reason, 'the plan was cancelled')
  RETURN collect({id: s.id, old: step_old}) AS steps
}
SET p.unfinished = p.unfinished - size(steps)
RETURN p.id AS plan_id, old, steps
