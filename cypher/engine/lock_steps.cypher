// lock_steps: Lock steps; their status, lease and chain, with their plans.
// Only what is needed: every returned value costs driver time (a DATETIME about 40 us),
// and a replan locks up to a plan's unfinished steps.
// Parameters: $step_ids
// Result columns: step, plan, holder
UNWIND $step_ids AS sid
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: sid})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
RETURN s {.id, .status, lease_hash: s.lease_token_hash, .completion_digest, .chained_after,
          claimed_ms: s.claimed_at.epochMillis,
          // The status of the step it is chained after (chain leases), if any.
          after_status: head([(s)-[:DEPENDS_ON]->(d:ExecutionStep)
                              WHERE d.id = s.chained_after | d.status])} AS step,
       p {.id, .on_failure} AS plan,
       head([(s)-[r:ASSIGNED_TO]->(a:Agent) WHERE NOT coalesce(r.reserved, false) | a.id]) AS holder
