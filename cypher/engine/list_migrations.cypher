// list_migrations: The start-up fill-ins already run on this database.
// Parameters: none
// Result columns: ids
MATCH (m:GraphsvcMigration) RETURN collect(m.id) AS ids
