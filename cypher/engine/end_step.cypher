// end_step: A coordinator ends an unfinished step (CANCELLED or SKIPPED), its lease revoked.
// Parameters: $reason, $status, $step_id, $terminal_plans
// Result columns: children
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.status = $status, s.completed_at = datetime(), s.lease_token_hash = null,
    s.lease_expires_at = null, s.attempt_deadline = null,
    s.error_message = coalesce($reason, toLower($status) + ' by a coordinator'),
    p.unfinished = p.unfinished - 1
RETURN [(s)-[:SPAWNED]->(c:ExecutionPlan) WHERE NOT c.status IN $terminal_plans | c.id]
       AS children
