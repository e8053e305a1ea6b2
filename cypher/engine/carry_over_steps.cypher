// carry_over_steps: Steps of a new plan version take the outcome of the COMPLETED steps they repeat.
// Each row is {id, from_id}: the new step is COMPLETED with the old one's outputs and
// changeset, CARRIED_OVER_FROM it, and no longer counts as unfinished in its plan.
// Parameters: $plan_id, $rows, $step_carry_over_to
// Result columns: carried
UNWIND $rows AS row
MATCH (s:ExecutionStep {id: row.id})
MATCH (from:ExecutionStep {id: row.from_id})
SET s.status = $step_carry_over_to, s.outputs = from.outputs, s.changeset = from.changeset,
    s.completed_at = datetime(), s.ready_at = null
CREATE (s)-[:CARRIED_OVER_FROM]->(from)
WITH count(*) AS carried
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.unfinished = p.unfinished - carried
RETURN carried
