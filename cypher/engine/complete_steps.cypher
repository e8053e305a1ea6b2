// complete_steps: Steps COMPLETED with their outputs; their agents EXECUTES them; the plans' counters.
// Parameters: $agent_active, $plans, $rows, $step_complete_to
// Result columns: none
UNWIND $rows AS row
MATCH (s:ExecutionStep {id: row.step_id})
SET s.status = $step_complete_to, s.outputs = row.outputs, s.changeset = row.changeset,
    s.completed_at = datetime(), s.lease_expires_at = null, s.attempt_deadline = null,
    s.completion_digest = row.digest, s.error_message = null,
    s.actual_duration = duration.inSeconds(coalesce(s.started_at, s.claimed_at),
                                           datetime()).seconds / 60.0
WITH s
OPTIONAL MATCH (s)-[r:ASSIGNED_TO]->(a:Agent)
WHERE NOT coalesce(r.reserved, false)
// MERGE locks the agent node: one worker's completions take turns here, before
// the plan (measured: with CREATE, which does not, 4x the deadlocks on the plan).
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END |
  MERGE (a)-[:EXECUTES]->(s)
  SET a.last_seen_at = datetime(), a.status = $agent_active)
WITH count(*) AS _
UNWIND $plans AS pc
MATCH (p:ExecutionPlan {id: pc.plan_id})
SET p.unfinished = p.unfinished - pc.completed
