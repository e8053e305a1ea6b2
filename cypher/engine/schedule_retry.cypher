// schedule_retry: A failed attempt with retries left: READY again after a backoff.
// Parameters: $delay_ms, $error, $step_id, $step_retry_later_to
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
SET s.status = $step_retry_later_to, s.retry_count = s.retry_count + 1, s.error_message = $error,
    s.not_before = datetime() + duration({milliseconds: $delay_ms}),
    s.lease_token_hash = null, s.lease_expires_at = null, s.attempt_deadline = null
