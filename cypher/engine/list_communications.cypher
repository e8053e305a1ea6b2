// list_communications: The communications sent to an agent, unread (SENT) first, then newest first, with sender, plan, step and what each answers.
// Parameters: $communication_sent, $limit, $status, $to_agent_id
// Result columns: communication
MATCH (:Agent {id: $to_agent_id})-[:RECEIVES]->(c:AgentCommunication)
WHERE $status IS NULL OR c.status = $status
WITH c ORDER BY CASE WHEN c.status = $communication_sent THEN 0 ELSE 1 END, c.timestamp DESC
LIMIT $limit
RETURN c {.id, .message_type, .subject, .content, .priority, .status, .timestamp,
          .requires_action, to_agent: $to_agent_id,
          from_agent: head([(f:Agent)-[:SENDS]->(c) | f.id]),
          plan_id: head([(c)-[:ABOUT_PLAN]->(p:ExecutionPlan) | p.id]),
          step_id: head([(c)-[:ABOUT_STEP]->(s:ExecutionStep) | s.id]),
          responds_to: head([(c)-[:RESPONDS_TO]->(o:AgentCommunication) | o.id])} AS communication
