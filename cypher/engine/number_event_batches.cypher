// number_event_batches: Number a plan's committed, unnumbered journal batches in the order they were written, under the lock of the plan's EventSequence node.
// Parameters: $limit, $plan_id
// Batch i gets first_seq = the last number given + 1 and last_seq = first_seq + size - 1:
// every transition of the plan gets one number (first_seq + its position), gap-free and
// never reused. A plan whose events were written one Event node at a time by an earlier
// version goes on from its last such number (the plan's event_seq).
// Result columns: numbered, last_seq
OPTIONAL MATCH (p:ExecutionPlan {id: $plan_id})
MERGE (q:EventSequence {plan_id: $plan_id})
ON CREATE SET q.last_seq = coalesce(p.event_seq, 0)
// Read in the SET itself, which takes the node's write lock before it reads: numbering
// transactions of one plan take turns from here to their commit, and each reads the
// batches the one before it numbered as numbered.
SET q.runs = coalesce(q.runs, 0) + 1
WITH q
OPTIONAL MATCH (b:EventBatch {pending_plan_id: $plan_id})
// In the order they were written (each at the end of its transaction, after all its
// reads): a transaction that read what another committed wrote its batch after that
// one's, so a step's transitions keep their order; then by transaction start and id.
WITH q, b ORDER BY b.timestamp, b.started_at, b.id
LIMIT $limit
WITH q, [x IN collect(b) WHERE x IS NOT NULL] AS batches
WITH q, batches, reduce(acc = [q.last_seq], x IN batches | acc + [last(acc) + x.size]) AS ends
CALL {
  WITH batches, ends
  UNWIND range(0, size(batches) - 1) AS i
  WITH batches[i] AS b, ends[i] AS before, ends[i + 1] AS top
  SET b.first_seq = before + 1, b.last_seq = top
  REMOVE b.pending_plan_id
}
SET q.last_seq = last(ends)
RETURN size(batches) AS numbered, q.last_seq AS last_seq
