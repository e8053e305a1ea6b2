// find_plain_lease_tokens: Live leases stored by earlier versions with their token in plain text.
// Parameters: $step_leased, $step_waiting
// Result columns: id, token
MATCH (s:ExecutionStep)
WHERE s.lease_token IS NOT NULL AND s.status IN $step_leased + [$step_waiting]
RETURN s.id AS id, s.lease_token AS token
