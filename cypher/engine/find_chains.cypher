// find_chains: The chain of each claimed step: the steps that can only run after it.
// A chain link is a PENDING step that depends on the step before it alone and is that
// step's only dependent, of the claimer's kinds and capabilities, not a human gate
// ($gate_kinds: it waits for a person when it becomes READY), not reserved for another
// agent; the chain stops at the first step that is not. Read without locks:
// the links are locked and checked again when they are leased (lease_chains).
// Plans with max_parallel chain nothing (a held step would count as leased). At most 64
// links a call (every prefix of the walk is a path, and the longest is kept): the
// caller asks again from the 64th link for a longer chain.
// Parameters: $agent_id, $capabilities, $gate_kinds, $head_ids, $kinds, $step_pending
// Result columns: head, chain
MATCH (agent:Agent {id: $agent_id})
WITH $capabilities + [(agent)-[:HAS_CAPABILITY]->(own:Capability) | own.name] AS capabilities
UNWIND $head_ids AS head_id
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(h:ExecutionStep {id: head_id})
// A step with several dependents heads no chain: not walked at all (a star's hub would
// otherwise have each of its dependents checked).
WHERE p.max_parallel IS NULL AND COUNT { (h)<-[:DEPENDS_ON]-() } = 1
CALL (h, capabilities) {
  // A quantified path: each hop's conditions are checked as the path grows, so a
  // branching step ends the walk there (no path through it is enumerated).
  MATCH path = (h) ((a:ExecutionStep)<-[:DEPENDS_ON]-(b:ExecutionStep)
      WHERE b.status = $step_pending AND b.kind IN $kinds AND NOT b.kind IN $gate_kinds
        AND COUNT { (a)<-[:DEPENDS_ON]-() } = 1 AND COUNT { (b)-[:DEPENDS_ON]->() } = 1
        AND all(c IN [(b)-[:REQUIRES_CAPABILITY]->(cap:Capability) | cap.name]
                WHERE c IN capabilities)
        AND NOT EXISTS { (b)-[:ASSIGNED_TO {reserved: true}]->(other:Agent)
                         WHERE other.id <> $agent_id }){1,64} ()
  RETURN [n IN tail(nodes(path)) | n.id] AS chain ORDER BY size(chain) DESC LIMIT 1
}
RETURN head_id AS head, chain
