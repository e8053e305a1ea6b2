// fill_step_claim_shard: give steps stored by earlier versions a claim shard (0..255 at random), which claims seek by (run once per database, at start-up).
// Parameters: none
// Result columns: none
MATCH (s:ExecutionStep) WHERE s.claim_shard IS NULL
CALL (s) {
  SET s.claim_shard = toInteger(rand() * 256)
} IN TRANSACTIONS OF 10000 ROWS
