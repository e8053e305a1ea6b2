// find_unnumbered_plans: Plans with journal batches committed more than $older_than_ms ago and still unnumbered (the process that wrote them stopped before numbering them).
// Parameters: $limit, $older_than_ms
// Result columns: plan_id
MATCH (b:EventBatch)
WHERE b.pending_plan_id IS NOT NULL
  AND b.timestamp < datetime() - duration({milliseconds: $older_than_ms})
RETURN DISTINCT b.pending_plan_id AS plan_id
LIMIT $limit
