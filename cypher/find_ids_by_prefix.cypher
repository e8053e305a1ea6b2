// find_ids_by_prefix: the plans, steps and decisions whose id starts with $prefix, at most
// two of each (a prefix that names one is unique). Each label's id uniqueness index
// answers STARTS WITH, so a lookup costs the matches, not the graph. The CLI takes
// unique id prefixes through it (graphsvc plan show 01a2f3...).
// Parameters: $prefix
// Result columns: label, id
CALL () {
  MATCH (p:ExecutionPlan) WHERE p.id STARTS WITH $prefix
  RETURN 'plan' AS label, p.id AS id LIMIT 2
  UNION ALL
  MATCH (s:ExecutionStep) WHERE s.id STARTS WITH $prefix
  RETURN 'step' AS label, s.id AS id LIMIT 2
  UNION ALL
  MATCH (d:Decision) WHERE d.id STARTS WITH $prefix
  RETURN 'decision' AS label, d.id AS id LIMIT 2
}
RETURN label, id
