// lease_chains: Lease the chains found by find_chains to the claimer, each link held (ASSIGNED, chained_after the step before) until that step completes.
// Each link is locked and checked again (still PENDING, still depending on one step);
// a chain is cut at its first link that fails, and the links after it are not leased.
// Parameters: $agent_id, $capabilities, $chains, $gate_kinds, $kinds, $lease_seconds, $step_chain_to, $step_completed, $step_pending
// Each of chains is {head, ids, hashes}: the claimed step, its links in order, a lease
// token hash for each link.
// Result columns: head, steps
MATCH (agent:Agent {id: $agent_id})
WITH agent, $capabilities + [(agent)-[:HAS_CAPABILITY]->(own:Capability) | own.name] AS capabilities
UNWIND $chains AS chain
CALL (agent, capabilities, chain) {
  UNWIND range(0, size(chain.ids) - 1) AS i
  MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: chain.ids[i]})
  SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
  WITH i, s, p ORDER BY i
  // Checked again under the lock, all of find_chains' conditions on the link itself: a
  // coordinator may have changed it meanwhile (its dependency, kind or reservation).
  WITH i, s, p, CASE WHEN i = 0 THEN chain.head ELSE chain.ids[i - 1] END AS before
  WITH collect({i: i, s: s, p: p,
                ok: s.status = $step_pending AND s.kind IN $kinds AND NOT s.kind IN $gate_kinds
                    AND COUNT { (s)-[:DEPENDS_ON]->() } = 1
                    AND EXISTS { (s)-[:DEPENDS_ON]->(:ExecutionStep {id: before}) }
                    AND all(c IN [(s)-[:REQUIRES_CAPABILITY]->(cap:Capability) | cap.name]
                            WHERE c IN capabilities)
                    AND NOT EXISTS { (s)-[:ASSIGNED_TO {reserved: true}]->(other:Agent)
                                     WHERE other.id <> $agent_id }}) AS links
  WITH links, [l IN links WHERE NOT l.ok | l.i] AS broken
  UNWIND links[..coalesce(head(broken), size(links))] AS link
  WITH link.s AS s, link.p AS p, link.i AS i
  OPTIONAL MATCH (s)-[old:ASSIGNED_TO]->(:Agent)
  WHERE NOT coalesce(old.reserved, false)
  DELETE old
  WITH DISTINCT s, p, i
  ORDER BY i
  SET s.status = $step_chain_to, s.lease_token_hash = chain.hashes[i],
      s.chained_after = CASE WHEN i = 0 THEN chain.head ELSE chain.ids[i - 1] END,
      s.lease_expires_at = datetime() + duration({seconds: $lease_seconds}),
      s.attempt_deadline = null, s.claimed_at = datetime()
  CREATE (s)-[:ASSIGNED_TO]->(agent)
  RETURN collect(
    s {.id, .key, .kind, .name, .description, .inputs, .chained_after,
       lease_hash: s.lease_token_hash, lease_expires_ms: s.lease_expires_at.epochMillis,
       .retry_count, .timeout_seconds, .validate_command, plan_id: p.id,
       context: head([(p)-[:EXECUTES_IN]->(c:ExecutionContext {is_active: true}) |
                      c {.id, .environment, .variables, .constraints, .resources,
                         .policies, .permissions}]),
       // The step before is not COMPLETED yet: the claimer adds its outputs itself.
       prior_work: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) WHERE d.status = $step_completed |
                    {key: d.key, name: d.name, outputs: d.outputs}]}) AS steps
}
RETURN chain.head AS head, steps
