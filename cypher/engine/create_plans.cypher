// create_plans: Create plans from their properties.
// Parameters: $plans
// Result columns: none
UNWIND $plans AS props
CREATE (p:ExecutionPlan) SET p = props, p.created_at = datetime()
