// find_missing_ids: Which of the referenced ids name no node of their label.
// Parameters: $refs
// Result columns: field, found
UNWIND $refs AS ref
RETURN ref.field AS field,
       CASE ref.label
         WHEN 'Agent' THEN EXISTS { MATCH (:Agent {id: ref.id}) }
         WHEN 'AgentCommunication' THEN EXISTS { MATCH (:AgentCommunication {id: ref.id}) }
         WHEN 'Analysis' THEN EXISTS { MATCH (:Analysis {id: ref.id}) }
         WHEN 'ExecutionPlan' THEN EXISTS { MATCH (:ExecutionPlan {id: ref.id}) }
         WHEN 'ExecutionStep' THEN EXISTS { MATCH (:ExecutionStep {id: ref.id}) }
         WHEN 'Message' THEN EXISTS { MATCH (:Message {id: ref.id}) }
         WHEN 'User' THEN EXISTS { MATCH (:User {id: ref.id}) }
       END AS found
