// set_lease_token_hashes: Give live leases of earlier versions the hash of their token.
// Parameters: $rows
// Result columns: none
UNWIND $rows AS row
MATCH (s:ExecutionStep {id: row.id})
SET s.lease_token_hash = row.hash
