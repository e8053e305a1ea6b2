// ping_database: Neo4j answers a query.
// Parameters: none
// Result columns: one
RETURN 1 AS one
