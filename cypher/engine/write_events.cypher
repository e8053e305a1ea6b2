// write_events: Write a transaction's journal: one EventBatch per plan, its transitions as parallel arrays, each RECORDS its subject.
// Parameters: $groups
// Each group is {id, plan_id, events}, each event {subject_id, subject_kind (step, decision
// or plan), type, from_status, to_status, message, detail, actor}, '' for a missing value
// (arrays hold no nulls). Nothing here touches the plan node: the batch is found by its
// plan_id, and numbered after the commit (number_event_batches) in the order of
// `timestamp`, the real time of this write, the last query of its transaction: after
// every read the transaction made.
// Each of steps is {to, kind}: a step's new status; each of plans is {to}: a plan's.
// Result columns: steps, plans
UNWIND $groups AS g
CREATE (b:EventBatch {id: g.id, plan_id: g.plan_id, pending_plan_id: g.plan_id,
                      started_at: datetime.transaction(), timestamp: datetime.realtime(),
                      size: size(g.events),
                      subject_ids: [ev IN g.events | ev.subject_id],
                      subject_kinds: [ev IN g.events | ev.subject_kind],
                      types: [ev IN g.events | ev.type],
                      from_statuses: [ev IN g.events | ev.from_status],
                      to_statuses: [ev IN g.events | ev.to_status],
                      actors: [ev IN g.events | ev.actor],
                      messages: [ev IN g.events | ev.message],
                      details: [ev IN g.events | ev.detail]})
WITH b, g
UNWIND range(0, size(g.events) - 1) AS i
WITH b, i, g.events[i] AS ev
CALL {
  WITH ev
  MATCH (s:ExecutionStep {id: CASE ev.subject_kind WHEN 'step' THEN ev.subject_id END})
  RETURN s AS subject
  UNION
  WITH ev
  MATCH (d:Decision {id: CASE ev.subject_kind WHEN 'decision' THEN ev.subject_id END})
  RETURN d AS subject
  UNION
  WITH ev
  MATCH (p:ExecutionPlan {id: CASE ev.subject_kind WHEN 'plan' THEN ev.subject_id END})
  RETURN p AS subject
}
CREATE (b)-[:RECORDS {position: i, type: ev.type,
                      from_status: CASE ev.from_status WHEN '' THEN null ELSE ev.from_status END,
                      to_status: CASE ev.to_status WHEN '' THEN null ELSE ev.to_status END}]->(subject)
WITH ev, subject
// Step transitions only: a decision's or a change request's event about a step is none.
RETURN collect(CASE WHEN ev.subject_kind = 'step' AND ev.to_status <> ''
                         AND (ev.type STARTS WITH 'STEP_' OR ev.type = 'PLAN_MODIFIED_ADD_STEP')
                    THEN {to: ev.to_status, kind: subject.kind} END) AS steps,
       collect(CASE WHEN ev.subject_kind = 'plan' AND ev.to_status <> ''
                         AND ev.type STARTS WITH 'PLAN_'
                    THEN {to: ev.to_status} END) AS plans
