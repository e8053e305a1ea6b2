// return_lost_lease: A lost lease: READY again, counted in lease_losses.
// A lost lease is not the work's failure (DESIGN.md section 8): READY again at once,
// counted in lease_losses, not retry_count.
// Parameters: $step_id, $step_lease_expired_to
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
SET s.status = $step_lease_expired_to, s.lease_losses = coalesce(s.lease_losses, 0) + 1,
    s.lease_token_hash = null, s.lease_expires_at = null, s.attempt_deadline = null,
    s.not_before = null, s.ready_at = datetime()
