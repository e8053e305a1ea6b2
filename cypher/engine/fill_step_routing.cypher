// fill_step_routing: give steps stored by earlier versions their plan's id and their
// routing capability (run once per database, at start-up).
// Parameters: none
// Result columns: none
MATCH (s:ExecutionStep) WHERE s.plan_id IS NULL OR s.routing_capability IS NULL
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s)
CALL (s, p) {
  // Any one of its required capabilities routes a step correctly: a claimer must hold all.
  SET s.plan_id = p.id,
      s.routing_capability = coalesce(
        s.routing_capability, head([(s)-[:REQUIRES_CAPABILITY]->(c:Capability) | c.name]), '')
} IN TRANSACTIONS OF 10000 ROWS
