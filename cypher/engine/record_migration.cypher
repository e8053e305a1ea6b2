// record_migration: Record that a start-up fill-in ran.
// Parameters: $id
// Result columns: none
MERGE (m:GraphsvcMigration {id: $id}) ON CREATE SET m.applied_at = datetime()
