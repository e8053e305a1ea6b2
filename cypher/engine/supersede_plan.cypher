// supersede_plan: A plan gives way to its new version (replan).
// The old plan is SUPERSEDED and the new one SUPERSEDES it; the old one's unfinished steps
// are CANCELLED, their leases revoked; the new plan takes the old one's place under the
// step that spawned it (the SPAWNED edge moves, with its properties, and the depth).
// Parameters: $new_id, $old_id, $plan_supersede_from, $plan_supersede_to, $step_cancel_from, $step_cancel_to
// Each of the steps is {id, old}: a cancelled step and its status before.
// Result columns: old_status, steps, spawner
MATCH (old:ExecutionPlan {id: $old_id})
WHERE old.status IN $plan_supersede_from
MATCH (new:ExecutionPlan {id: $new_id})
WITH old, new, old.status AS old_status
SET old.status = $plan_supersede_to, old.completed_at = datetime(), new.depth = old.depth
CREATE (new)-[:SUPERSEDES]->(old)
WITH old, new, old_status
OPTIONAL MATCH (spawner:ExecutionStep)-[spawned:SPAWNED]->(old)
FOREACH (_ IN CASE WHEN spawner IS NULL THEN [] ELSE [1] END |
  CREATE (spawner)-[moved:SPAWNED]->(new)
  SET moved = properties(spawned)
  DELETE spawned)
WITH old, old_status, spawner
OPTIONAL MATCH (old)-[:CONTAINS_STEP]->(s:ExecutionStep)
WHERE s.status IN $step_cancel_from
WITH old, old_status, spawner,
     collect(CASE WHEN s IS NOT NULL THEN {step: s, old: s.status} END) AS rows
FOREACH (r IN rows |
  SET r.step.status = $step_cancel_to, r.step.completed_at = datetime(),
      r.step.lease_token_hash = null, r.step.lease_expires_at = null,
      r.step.attempt_deadline = null,
      r.step.error_message = 'the plan was replaced by a new version')
SET old.unfinished = old.unfinished - size(rows)
RETURN old_status, [r IN rows | {id: r.step.id, old: r.old}] AS steps, spawner.id AS spawner
