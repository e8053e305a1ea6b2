// rearm_steps: Terminal steps go back to PENDING to run again.
// Parameters: $step_failed, $step_ids, $step_rearm_to, $terminal
// Result columns: id, key, old, critical
UNWIND $step_ids AS sid
MATCH (s:ExecutionStep {id: sid})
WHERE s.status IN $terminal
WITH s, s.status AS old, s.status = $step_failed AND s.is_critical AS critical
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1, s.status = $step_rearm_to, s.retry_count = 0,
    s.lease_losses = 0,
    s.error_message = null, s.completed_at = null, s.not_before = null, s.lease_token_hash = null,
    s.cancelled_by_fail_fast = null, s.completion_digest = null
RETURN s.id AS id, s.key AS key, old, critical
