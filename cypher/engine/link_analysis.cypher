// link_analysis: The analysis that created a plan.
// Parameters: $analysis_id, $plan_id
// Result columns: linked
MATCH (a:Analysis {id: $analysis_id}), (p:ExecutionPlan {id: $plan_id})
CREATE (a)-[:CREATES_PLAN]->(p)
RETURN count(*) AS linked
