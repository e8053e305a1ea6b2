// clear_plan_max_parallel: Plans stored by earlier versions carry max_parallel 1, a
// default those versions never enforced; claims enforce it now, so it is removed (run once
// per database, at start-up): those plans keep running as they did.
// Parameters: none
// Result columns: none
MATCH (p:ExecutionPlan) WHERE p.max_parallel = 1
CALL (p) {
  REMOVE p.max_parallel
} IN TRANSACTIONS OF 10000 ROWS
