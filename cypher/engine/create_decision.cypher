// create_decision: Record a decision and what it informs and affects.
// recorded_by: who recorded it (the API key's principal), the audit's actor.
// Parameters: $action, $analysis_id, $confidence, $escalate_to, $id, $message_id, $parameters_json, $plan_id, $question, $reasoning, $recorded_by, $requires_approval, $status, $step_id, $type
// Result columns: plan_id
CREATE (d:Decision {id: $id, type: $type, action: $action, parameters: $parameters_json,
                    reasoning: $reasoning, clarification_question: $question,
                    confidence: $confidence, requires_approval: $requires_approval,
                    status: $status, timestamp: datetime(), recorded_by: $recorded_by})
WITH d
OPTIONAL MATCH (a:Analysis {id: $analysis_id})
OPTIONAL MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (s:ExecutionStep {id: $step_id})
OPTIONAL MATCH (m:Message {id: $message_id})
OPTIONAL MATCH (u:User {id: $escalate_to})
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | CREATE (a)-[:INFORMS_DECISION]->(d))
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (d)-[:AFFECTS_PLAN]->(p))
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (d)-[:AFFECTS_STEP]->(s))
FOREACH (_ IN CASE WHEN m IS NULL THEN [] ELSE [1] END | CREATE (d)-[:DECIDES_ON]->(m))
FOREACH (_ IN CASE WHEN u IS NULL THEN [] ELSE [1] END | CREATE (d)-[:ESCALATES_TO]->(u))
RETURN coalesce(p.id, head([(pp:ExecutionPlan)-[:CONTAINS_STEP]->(s) | pp.id])) AS plan_id
