// fill_step_priority: give steps stored by earlier versions their plan's priority rank
// (0 CRITICAL, 1 HIGH, 2 MEDIUM, 3 LOW), which claims seek by (run once per database, at
// start-up).
// Parameters: none
// Result columns: none
MATCH (s:ExecutionStep) WHERE s.priority_rank IS NULL
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s)
CALL (s, p) {
  SET s.priority_rank = CASE p.priority WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1
                                        WHEN 'LOW' THEN 3 ELSE 2 END
} IN TRANSACTIONS OF 10000 ROWS
