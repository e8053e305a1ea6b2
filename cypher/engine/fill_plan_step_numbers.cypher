// fill_plan_step_numbers: give plans stored by earlier versions the counter that numbers
// the steps added to them (run once per database, at start-up).
// Parameters: none
// Result columns: none
MATCH (p:ExecutionPlan) WHERE p.last_step_number IS NULL
CALL (p) {
  OPTIONAL MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep)
  WITH p, max(s.step_number) AS top
  SET p.last_step_number = coalesce(top, 0)
} IN TRANSACTIONS OF 1000 ROWS
