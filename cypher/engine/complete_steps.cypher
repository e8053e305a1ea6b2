// complete_steps: Steps COMPLETED with their outputs (at the worker's times when it gave them); their agents EXECUTES them.
// The plans' counters are counted apart (count_finished_steps), last in the transaction,
// so the plan node is locked only for the end of it.
// Parameters: $agent_active, $rows, $step_complete_to
// Each of rows is {step_id, outputs, changeset, digest, started_at, completed_at}
// (the times null when the worker gave none).
// Result columns: none
UNWIND $rows AS row
MATCH (s:ExecutionStep {id: row.step_id})
// The worker's times, but none before the claim (nor, from the caller, after now).
WITH s, row, coalesce(row.completed_at, datetime()) AS given
WITH s, row, CASE WHEN given < s.claimed_at THEN s.claimed_at ELSE given END AS done
SET s.status = $step_complete_to, s.outputs = row.outputs, s.changeset = row.changeset,
    s.started_at = coalesce(s.started_at,
                            CASE WHEN row.started_at < s.claimed_at THEN s.claimed_at
                                 ELSE row.started_at END),
    s.completed_at = done, s.lease_expires_at = null, s.attempt_deadline = null,
    s.completion_digest = row.digest, s.error_message = null,
    s.actual_duration = duration.inSeconds(coalesce(s.started_at, s.claimed_at), done).seconds
                        / 60.0
WITH s
OPTIONAL MATCH (s)-[r:ASSIGNED_TO]->(a:Agent)
WHERE NOT coalesce(r.reserved, false)
// CREATE, not MERGE: MERGE would lock the agent node, and every completion of one
// worker's slots would queue there. The step is locked, so no other writer adds the
// relationship meanwhile; a step run again by the same agent keeps its one EXECUTES.
FOREACH (_ IN CASE WHEN a IS NULL OR EXISTS { (a)-[:EXECUTES]->(s) } THEN [] ELSE [1] END |
  CREATE (a)-[:EXECUTES]->(s))
// The agent's last_seen_at at most once a second, for the same reason.
FOREACH (_ IN CASE WHEN a IS NOT NULL AND (a.status <> $agent_active OR a.last_seen_at IS NULL
                        OR a.last_seen_at < datetime() - duration({seconds: 1}))
                   THEN [1] ELSE [] END |
  SET a.last_seen_at = datetime(), a.status = $agent_active)
