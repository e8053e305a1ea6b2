// create_analysis: An analysis of a message, maybe superseding an earlier one.
// recorded_by: who recorded it (the API key's principal), the audit's actor.
// Parameters: $analysis_superseded, $category, $confidence, $id, $intent, $message_id, $reasoning, $recorded_by, $replaces, $status
// Result columns: id, replaced
MATCH (m:Message {id: $message_id})
CREATE (a:Analysis {id: $id, intent: $intent, category: $category, confidence: $confidence,
                    reasoning: $reasoning, status: $status, timestamp: datetime(),
                    recorded_by: $recorded_by})
CREATE (m)-[:TRIGGERS_ANALYSIS]->(a)
WITH a
OPTIONAL MATCH (old:Analysis {id: $replaces})
FOREACH (_ IN CASE WHEN old IS NULL THEN [] ELSE [1] END |
  SET old.status = $analysis_superseded, old.superseded_at = datetime())
RETURN a.id AS id, old IS NOT NULL AS replaced
