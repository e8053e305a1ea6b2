// lock_step: Lock a step; it, its plan and the agent that holds its lease.
// Parameters: $step_id
// Result columns: step, plan, holder
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
RETURN s {.*, lease_hash: s.lease_token_hash,
          lease_expired: coalesce(s.lease_expires_at < datetime(), false),
          timed_out: coalesce(s.attempt_deadline < datetime(), false)} AS step,
       p {.id, .status, .on_failure, .can_modify} AS plan,
       head([(s)-[r:ASSIGNED_TO]->(a:Agent) WHERE NOT coalesce(r.reserved, false) | a.id]) AS holder
