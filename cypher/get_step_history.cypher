// get_step_history: a step's transitions in order, each with its number in the plan's
// journal, its time, actor and message. Run it in Neo4j Browser and switch to the graph
// view of `MATCH (s:ExecutionStep {id: $step_id})<-[r:RECORDS]-(b:EventBatch) RETURN s, r, b`
// to see the journal batches that recorded each transition (the transaction that made it).
// seq is null for a batch committed moments ago and not numbered yet.
// Parameters: $step_id
// Result columns: seq, time, type, from_status, to_status, actor, message, batch_id
MATCH (s:ExecutionStep {id: $step_id})
CALL {
  WITH s
  MATCH (s)<-[r:RECORDS]-(b:EventBatch)
  RETURN b.first_seq + r.position AS seq, b.timestamp AS time, b.started_at AS started,
         r.position AS position, r.type AS type, r.from_status AS from_status,
         r.to_status AS to_status, nullIf(b.actors[r.position], '') AS actor,
         nullIf(b.messages[r.position], '') AS message, b.id AS batch_id
  UNION
  // Steps of earlier versions: one Event node per transition.
  WITH s
  MATCH (s)<-[:ABOUT]-(e:Event)
  RETURN e.seq AS seq, e.timestamp AS time, e.timestamp AS started, 0 AS position,
         e.type AS type, e.from_status AS from_status, e.to_status AS to_status,
         e.actor AS actor, e.message AS message, null AS batch_id
}
RETURN seq, time, type, from_status, to_status, actor, message, batch_id
ORDER BY coalesce(seq, 9223372036854775807), started, position
