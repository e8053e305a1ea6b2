// list_live_plans: The ids of plans that have not ended.
// Parameters: none
// Result columns: id
MATCH (p:ExecutionPlan)
WHERE p.status IN ['DRAFT', 'APPROVED', 'EXECUTING', 'PAUSED']
RETURN p.id AS id
