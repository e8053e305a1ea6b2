// release_chains: Held chained steps after these steps (and, with $with_roots, these steps themselves when held) return to PENDING, out of their chain.
// A chained step is held while the step it is chained after has not COMPLETED. Its
// lease, holder and chain link are removed; its dependencies make it READY again as
// for any PENDING step (the caller re-checks them).
// Parameters: $step_chain_release_to, $step_chain_to, $step_completed, $step_ids, $with_roots
// Result columns: released
UNWIND $step_ids AS sid
MATCH (r:ExecutionStep {id: sid})
CALL (r) {
  OPTIONAL MATCH path = (r) ((a:ExecutionStep)<-[:DEPENDS_ON]-(b:ExecutionStep)
      WHERE b.chained_after = a.id AND b.status = $step_chain_to){1,1000} ()
  RETURN CASE WHEN path IS NULL THEN [] ELSE tail(nodes(path)) END AS after
  ORDER BY size(after) DESC LIMIT 1
}
WITH r, after,
     $with_roots AND r.chained_after IS NOT NULL AND r.status = $step_chain_to
       AND NOT EXISTS { (r)-[:DEPENDS_ON]->(d:ExecutionStep)
                        WHERE d.id = r.chained_after AND d.status = $step_completed } AS held
UNWIND CASE WHEN held THEN [r] + after ELSE after END AS s
WITH DISTINCT s
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s)
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
WITH s, p
OPTIONAL MATCH (s)-[old:ASSIGNED_TO]->(:Agent)
WHERE NOT coalesce(old.reserved, false)
DELETE old
WITH DISTINCT s, p
SET s.status = $step_chain_release_to, s.lease_token_hash = null, s.lease_expires_at = null,
    s.attempt_deadline = null, s.chained_after = null
RETURN collect({id: s.id, plan_id: p.id, kind: s.kind}) AS released
