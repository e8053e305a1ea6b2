// find_expired_leases: Leased steps whose lease expired or whose attempt timed out, oldest first.
// Parameters: $limit, $step_lease_expired_from
// Result columns: id, lease_hash, why
MATCH (s:ExecutionStep)
WHERE s.status IN $step_lease_expired_from
  AND (s.lease_expires_at < datetime() OR s.attempt_deadline < datetime())
  AND EXISTS { (:ExecutionPlan)-[:CONTAINS_STEP]->(s) }
RETURN s.id AS id, s.lease_token_hash AS lease_hash,
       CASE WHEN s.attempt_deadline < datetime() THEN 'timed out after ' +
            toString(s.timeout_seconds) + ' s' ELSE 'lease expired' END AS why
ORDER BY coalesce(s.lease_expires_at, s.attempt_deadline)
LIMIT $limit
