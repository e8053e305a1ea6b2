// release_step: A lease given back by its holder: READY again at once, not counted as a lease loss.
// Parameters: $step_id, $step_release_to
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
OPTIONAL MATCH (s)-[r:ASSIGNED_TO]->(:Agent)
WHERE NOT coalesce(r.reserved, false)
DELETE r
WITH DISTINCT s
SET s.status = $step_release_to, s.lease_token_hash = null, s.lease_expires_at = null,
    s.attempt_deadline = null, s.not_before = null, s.ready_at = datetime(),
    s.chained_after = null
