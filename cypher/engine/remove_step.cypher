// remove_step: A step that has not started leaves its plan (REMOVE_STEP).
// It is CANCELLED and no longer CONTAINS_STEP of its plan (it stops counting in progress
// and in the plan's unfinished steps); its dependents' edges to it are deleted (it stops
// gating them). The node stays, with its plan_id, for the audit: its modification
// REMOVES_STEP it, and its events stay ABOUT it and the plan.
// Parameters: $reason, $step_id, $step_remove_from, $step_remove_to
// Result columns: plan_id, dependents
MATCH (p:ExecutionPlan)-[contained:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
WHERE s.status IN $step_remove_from
OPTIONAL MATCH (d:ExecutionStep)-[edge:DEPENDS_ON]->(s)
WITH p, contained, s, collect(edge) AS edges, collect(d {.id, .key}) AS dependents
FOREACH (edge IN edges | DELETE edge)
DELETE contained
SET s.status = $step_remove_to, s.removed_at = datetime(), s.completed_at = datetime(),
    s.error_message = coalesce($reason, 'removed by a coordinator'),
    p.unfinished = p.unfinished - 1
RETURN p.id AS plan_id, dependents
