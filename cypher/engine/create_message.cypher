// create_message: A user's message (the User created on first use).
// Parameters: $content, $id, $user_id, $user_name
// Result columns: id, timestamp
MERGE (u:User {id: $user_id})
  ON CREATE SET u.name = coalesce($user_name, $user_id), u.created_at = datetime()
CREATE (m:Message {id: $id, content: $content, timestamp: datetime()})
CREATE (u)-[:INITIATES]->(m)
RETURN m.id AS id, m.timestamp AS timestamp
