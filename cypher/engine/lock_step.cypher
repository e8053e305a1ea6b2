// lock_step: Lock a step; it, its plan and the agent that holds its lease.
// Parameters: $step_id
// Result columns: step, plan, holder
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
RETURN s {.*, lease_hash: s.lease_token_hash,
          lease_expired: coalesce(s.lease_expires_at < datetime(), false),
          timed_out: coalesce(s.attempt_deadline < datetime(), false),
          // The status of the step it is chained after (chain leases), if any.
          after_status: head([(s)-[:DEPENDS_ON]->(d:ExecutionStep)
                              WHERE d.id = s.chained_after | d.status])} AS step,
       p {.id, .status, .on_failure, .can_modify} AS plan,
       head([(s)-[r:ASSIGNED_TO]->(a:Agent) WHERE NOT coalesce(r.reserved, false) | a.id]) AS holder
