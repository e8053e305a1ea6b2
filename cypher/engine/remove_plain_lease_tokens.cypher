// remove_plain_lease_tokens: Remove every lease token stored in plain text, in batches.
// Parameters: none
// Result columns: none
MATCH (s:ExecutionStep) WHERE s.lease_token IS NOT NULL
CALL (s) { REMOVE s.lease_token } IN TRANSACTIONS OF 10000 ROWS
