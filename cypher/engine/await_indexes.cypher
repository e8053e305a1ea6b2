// await_indexes: wait until every index is online (up to 300 s).
// Parameters: none
// Result columns: none
CALL db.awaitIndexes(300)
