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
  WITH b ORDER BY b.plan_id, b.last_seq
  // The entries of each batch after $after, at most $limit, each array read once per
  // batch; in order (batches by number, entries by position), read no further than the
  // page needs.
  WITH b, CASE WHEN $after >= b.first_seq THEN $after - b.first_seq + 1 ELSE 0 END AS start
  WITH b, start, CASE WHEN start + $limit < b.size THEN start + $limit ELSE b.size END AS stop
  WITH b, start, b.types[start..stop] AS types, b.subject_kinds[start..stop] AS kinds,
       b.subject_ids[start..stop] AS subjects, b.from_statuses[start..stop] AS froms,
       b.to_statuses[start..stop] AS tos, b.messages[start..stop] AS messages,
       b.details[start..stop] AS details, b.actors[start..stop] AS actors
  UNWIND CASE WHEN b IS NULL THEN [] ELSE range(0, size(types) - 1) END AS j
  WITH b, start + j AS i, types[j] AS type, kinds[j] AS kind, subjects[j] AS subject,
       froms[j] AS from_status, tos[j] AS to_status, messages[j] AS message,
       details[j] AS detail, actors[j] AS actor
  LIMIT $limit
  RETURN collect({id: b.id + '.' + right('00000' + toString(i), 6), seq: b.first_seq + i,
                  type: type, step_id: CASE kind WHEN 'step' THEN subject END,
                  from_status: nullIf(from_status, ''), to_status: nullIf(to_status, ''),
                  message: nullIf(message, ''), detail: nullIf(detail, ''),
                  actor: nullIf(actor, ''), timestamp: b.timestamp}) AS batched
}
RETURN p.id AS plan_id, (legacy + batched)[0..$limit] AS events,
       EXISTS { MATCH (x:EventBatch {pending_plan_id: p.id}) } AS pending
