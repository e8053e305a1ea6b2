// list_plan_events: A plan's numbered events after a sequence number, in order, and whether it has batches not numbered yet.
// Parameters: $after, $limit, $plan_id
// Read through the (plan_id, last_seq) index from the batch holding the number after
// $after on: a page costs the page, whatever the plan's size. Events written one Event
// node each by earlier versions (numbered below the journal's) are read through their
// (plan_id, seq) constraint. '' in a batch's arrays is a missing value.
// Result columns: plan_id, events, pending
MATCH (p:ExecutionPlan {id: $plan_id})
CALL {
  WITH p
  OPTIONAL MATCH (e:Event)
  WHERE e.plan_id = p.id AND e.seq > $after
  WITH e ORDER BY e.plan_id, e.seq LIMIT $limit
  RETURN collect(e {.*, step_id: head([(e)-[:ABOUT]->(s:ExecutionStep) | s.id])}) AS legacy
}
CALL {
  WITH p
  OPTIONAL MATCH (b:EventBatch)
  WHERE b.plan_id = p.id AND b.last_seq > $after
  WITH b ORDER BY b.plan_id, b.last_seq LIMIT $limit
  UNWIND CASE WHEN b IS NULL THEN [] ELSE range(0, b.size - 1) END AS i
  WITH b, i, b.first_seq + i AS seq
  WHERE seq > $after
  WITH b, i, seq ORDER BY seq LIMIT $limit
  RETURN collect({id: b.id + '.' + right('00000' + toString(i), 6), seq: seq, type: b.types[i],
                  step_id: CASE b.subject_kinds[i] WHEN 'step' THEN b.subject_ids[i] END,
                  from_status: nullIf(b.from_statuses[i], ''),
                  to_status: nullIf(b.to_statuses[i], ''),
                  message: nullIf(b.messages[i], ''), detail: nullIf(b.details[i], ''),
                  actor: nullIf(b.actors[i], ''), timestamp: b.timestamp}) AS batched
}
RETURN p.id AS plan_id, (legacy + batched)[0..$limit] AS events,
       EXISTS { MATCH (x:EventBatch {pending_plan_id: p.id}) } AS pending
