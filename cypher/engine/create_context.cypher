// create_context: A plan's new active ExecutionContext; the old one inactive.
// Parameters: $constraints, $environment, $id, $permissions, $plan_id, $policies, $resources, $variables
// Result columns: id
MATCH (p:ExecutionPlan {id: $plan_id})
OPTIONAL MATCH (p)-[:EXECUTES_IN]->(old:ExecutionContext {is_active: true})
SET old.is_active = false, old.updated_at = datetime()
WITH DISTINCT p
CREATE (c:ExecutionContext {id: $id, environment: $environment, variables: $variables,
        constraints: $constraints, resources: $resources, policies: $policies,
        permissions: $permissions, created_at: datetime(), updated_at: datetime(),
        is_active: true})
CREATE (p)-[:EXECUTES_IN]->(c)
RETURN c.id AS id
