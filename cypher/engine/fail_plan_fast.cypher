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
OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN $step_unstarted OR (s.status = $step_waiting AND s.kind IN $gate_kinds)
   OR (s.status = $step_chain_to AND s.chained_after IS NOT NULL
       AND NOT EXISTS { (s)-[:DEPENDS_ON]->(d:ExecutionStep)
                        WHERE d.id = s.chained_after AND d.status = $step_completed })
// Each step's old status is collected before any is set.
WITH p, old_status, collect(CASE WHEN s IS NOT NULL THEN {step: s, old: s.status} END) AS rows
FOREACH (r IN rows |
  SET r.step.status = $step_cancel_to, r.step.completed_at = datetime(),
      r.step.cancelled_by_fail_fast = true, r.step.lease_token_hash = null,
      r.step.lease_expires_at = null, r.step.chained_after = null,
      r.step.error_message = 'cancelled: the plan failed (on_failure FAIL_FAST)')
SET p.unfinished = p.unfinished - size(rows)
RETURN old_status, [r IN rows | {id: r.step.id, old: r.old}] AS cancelled
