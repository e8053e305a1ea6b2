// remove_step: A step that has not started leaves its plan (REMOVE_STEP).
// It is CANCELLED and no longer CONTAINS_STEP of its plan (it stops counting in progress
// and in the plan's unfinished steps); its DEPENDS_ON edges, both ways, are deleted (it
// stops gating its dependents, and no retry downstream finds it again), and its key is
// free again (plan_id becomes removed_from_plan_id). The node stays for the audit: its
// modification REMOVES_STEP it, and the journal batches that RECORDS its transitions stay.
// Parameters: $reason, $step_id, $step_remove_from, $step_remove_to
// Result columns: plan_id, dependents, depends_on
MATCH (p:ExecutionPlan)-[contained:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
WHERE s.status IN $step_remove_from
OPTIONAL MATCH (d:ExecutionStep)-[edge:DEPENDS_ON]->(s)
WITH p, contained, s, collect(edge) AS edges, collect(d {.id, .key}) AS dependents
OPTIONAL MATCH (s)-[own:DEPENDS_ON]->(u:ExecutionStep)
WITH p, contained, s, edges, dependents, collect(own) AS owns, collect(u.key) AS depends_on
FOREACH (edge IN edges + owns | DELETE edge)
DELETE contained
SET s.status = $step_remove_to, s.removed_at = datetime(), s.completed_at = datetime(),
    s.error_message = coalesce($reason, 'removed by a coordinator'),
    s.removed_from_plan_id = s.plan_id, p.unfinished = p.unfinished - 1
REMOVE s.plan_id
RETURN p.id AS plan_id, dependents, depends_on
