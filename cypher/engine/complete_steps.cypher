// complete_steps: A batch completion's first query: lock its steps, judge each item, complete those that may complete, and make their dependents READY.
// Steps are locked in id order, then judged in the items' order, as domain.rules.
// judge_completion judges (a test runs both over one table of cases and finds them
// equal): missing (no such step), forbidden ($agent, when given, does not hold the
// lease), repeat or differs (COMPLETED with this lease: the same body or another),
// stale (not this lease), status (a status complete is not allowed from), expired (the
// lease is past its expiry time), held (chained behind a step that has not completed,
// and not completed earlier in this batch), ok.
// The ok steps are COMPLETED with their outputs, at the worker's times when it gave
// them (none before the claim; the caller caps them at now), and their agents EXECUTES
// them. Each of their PENDING dependents is locked (in id order) before its dependencies
// are read: of two transactions that complete a join's last two dependencies at once,
// the second waits for the first and sees its step COMPLETED, so one of them makes the
// join READY. No plan node is written here.
// Parameters: $agent, $agent_active, $items, $plan_running, $step_assigned, $step_complete_from, $step_complete_to, $step_completed, $step_failed, $step_pending, $step_ready_to, $step_leased, $step_satisfied, $step_waiting, $stripe
// Each of items is {step_id, token_hash, digest, outputs, changeset, started_at,
// completed_at} (the times ISO 8601 text, null when the worker gave none: text packs in
// a fraction of what a driver datetime costs).
// judged: per item, in order, the step as it was when locked: {id, status, lease_hash,
// completion_digest, chained_after, after_status, lease_holder, lease_expired, plan_id},
// null for none;
// verdicts: per item, its verdict; stored: per ok item, in order,
// {step_id, started_ms, completed_ms} as stored; ready: each dependent made READY,
// {id, kind, plan_id}; counted: per plan with ok items, {plan_id, left, busy,
// failed_critical}.
// Result columns: judged, verdicts, stored, ready, counted
UNWIND range(0, size($items) - 1) AS n
WITH n, $items[n] AS item
OPTIONAL MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: item.step_id})
WITH n, item, s, p ORDER BY s.id
CALL (s) {
  WITH s WHERE s IS NOT NULL
  SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
}
WITH n, item, s, p ORDER BY n
// Read under the lock.
WITH n, item, s, p,
     head([(s)-[r:ASSIGNED_TO]->(a:Agent) WHERE NOT coalesce(r.reserved, false) | a.id]) AS holder,
     head([(s)-[:DEPENDS_ON]->(d:ExecutionStep) WHERE d.id = s.chained_after | d.status])
       AS after_status
WITH n, item, s, p, holder, after_status,
     CASE
       WHEN s IS NULL THEN 'missing'
       WHEN $agent IS NOT NULL AND holder IS NOT NULL AND holder <> $agent THEN 'forbidden'
       WHEN s.status = $step_completed AND s.lease_token_hash = item.token_hash THEN
         CASE WHEN s.completion_digest = item.digest THEN 'repeat' ELSE 'differs' END
       WHEN NOT coalesce(s.lease_token_hash = item.token_hash, false) THEN 'stale'
       WHEN NOT s.status IN $step_complete_from THEN 'status'
       WHEN coalesce(s.lease_expires_at < datetime(), false) THEN 'expired'
       WHEN s.chained_after IS NOT NULL AND s.status = $step_assigned
            AND coalesce(after_status <> $step_completed, true) THEN 'held'
       ELSE 'ok'
     END AS base
// The step as it is when locked, in the shape domain.rules.judge_completion takes it
// (null for no such step).
WITH collect({n: n, s: s, item: item, base: base,
              view: CASE WHEN s IS NULL THEN null ELSE
                      {id: s.id, status: s.status, lease_hash: s.lease_token_hash,
                       completion_digest: s.completion_digest, chained_after: s.chained_after,
                       after_status: after_status, lease_holder: holder,
                       lease_expired: coalesce(s.lease_expires_at < datetime(), false),
                       plan_id: p.id} END})
     AS rows
// A held step completes after the step it is chained behind, earlier in the same batch.
WITH rows, reduce(acc = {ok: [], verdicts: []}, r IN rows |
       CASE WHEN r.base = 'ok' OR (r.base = 'held' AND r.s.chained_after IN acc.ok)
            THEN {ok: acc.ok + [r.item.step_id], verdicts: acc.verdicts + ['ok']}
            ELSE {ok: acc.ok, verdicts: acc.verdicts + [r.base]} END) AS judged
CALL (rows, judged) {
  UNWIND range(0, size(rows) - 1) AS i
  WITH rows[i] AS r, judged.verdicts[i] AS verdict
  WHERE verdict = 'ok'
  WITH r.s AS s, r.item AS row, datetime(r.item.started_at) AS begun
  // The worker's times, but none before the claim (nor, from the caller, after now).
  WITH s, row, begun, coalesce(datetime(row.completed_at), datetime()) AS given
  WITH s, row, begun, CASE WHEN given < s.claimed_at THEN s.claimed_at ELSE given END AS done
  SET s.status = $step_complete_to, s.outputs = row.outputs, s.changeset = row.changeset,
      s.started_at = coalesce(s.started_at,
                              CASE WHEN begun < s.claimed_at THEN s.claimed_at
                                   ELSE begun END),
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
  RETURN collect({step_id: s.id, started_ms: s.started_at.epochMillis,
                  completed_ms: s.completed_at.epochMillis}) AS stored
}
CALL (judged) {
  UNWIND judged.ok AS sid
  MATCH (:ExecutionStep {id: sid})<-[:DEPENDS_ON]-(d:ExecutionStep {status: $step_pending})
  WITH DISTINCT d
  ORDER BY d.id
  SET d.lock_seq = coalesce(d.lock_seq, 0) + 1
  WITH d
  WHERE d.status = $step_pending
    AND all(x IN [(d)-[:DEPENDS_ON]->(dep:ExecutionStep) | dep]
            WHERE x.status IN $step_satisfied OR (x.status = $step_failed AND NOT x.is_critical))
  MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(d)
  WHERE p.status IN $plan_running
  SET d.status = $step_ready_to, d.ready_at = datetime()
  RETURN collect({id: d.id, kind: d.kind, plan_id: p.id}) AS ready
}
// The plans count their newly finished steps on counter stripe $stripe, not on the plan
// node: completions of one plan on different stripes do not wait for each other. A
// plan's unfinished steps are its `unfinished` less its stripes' `finished`; `left` is
// what this transaction sees (another completion not yet committed is not in it: when
// `left` is no more than `busy`, the steps that may be completing elsewhere, the caller
// checks the plan again after the commit, engine.work.end_finished_plans).
CALL (rows, judged) {
  UNWIND range(0, size(rows) - 1) AS i
  WITH rows[i].view.plan_id AS pid, judged.verdicts[i] AS verdict
  WHERE verdict = 'ok'
  WITH pid, count(*) AS completed
  ORDER BY pid
  MERGE (c:PlanCounter {plan_id: pid, stripe: $stripe})
  ON CREATE SET c.finished = 0
  SET c.finished = c.finished + completed
  WITH pid
  MATCH (p:ExecutionPlan {id: pid})
  RETURN collect({plan_id: pid, failed_critical: p.failed_critical,
                  left: p.unfinished - reduce(t = 0, x IN COLLECT {
                          MATCH (k:PlanCounter) WHERE k.plan_id = pid AND k.stripe >= 0 RETURN k.finished } | t + x),
                  // Steps another completion may be finishing now: leased or waiting
                  // ones, as this transaction sees them (read through the index).
                  busy: COUNT { MATCH (x:ExecutionStep)
                                WHERE x.plan_id = pid
                                  AND (x.status IN $step_leased OR x.status = $step_waiting) }})
         AS counted
}
RETURN [r IN rows | r.view] AS judged, judged.verdicts AS verdicts, stored, ready, counted
