// find_plan: whether a plan exists (its id).
// Parameters: $id
// Result columns: id
MATCH (p:ExecutionPlan {id: $id}) RETURN p.id AS id
