// lock_plan_for_change: Lock a plan for a change and take its next step numbers.
// Locks the plan and numbers ``$added`` new steps after its last one (plans stored
// before ``last_step_number`` existed get it at start-up: ``Database.apply_schema``).
// Parameters: $added, $plan_id
// Result columns: status, first_number
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.lock_seq = coalesce(p.lock_seq, 0) + 1, p.unfinished = p.unfinished + $added,
    p.last_step_number = p.last_step_number + $added
RETURN p.status AS status, p.last_step_number - $added + 1 AS first_number
