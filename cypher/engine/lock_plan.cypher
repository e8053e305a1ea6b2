// lock_plan: Lock a plan, number $added new steps after its last one, and read what commands on it are judged by.
// The one plan lock of the service (store.locks.lock_plan): a write to the plan node,
// so concurrent commands on one plan take turns. With $added > 0 it also counts that
// many new unfinished steps and takes their step numbers (plans stored before
// ``last_step_number`` existed get it at start-up: ``Database.apply_schema``).
// Parameters: $added, $plan_id
// Result columns: plan
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.lock_seq = coalesce(p.lock_seq, 0) + 1, p.unfinished = p.unfinished + $added,
    p.last_step_number = p.last_step_number + $added
// unfinished: the plan's property less the finished steps its counter stripes hold.
RETURN p {.id, .status, .priority, .version, .requires_approval, .on_failure, .can_modify,
          unfinished: p.unfinished - reduce(t = 0, x IN COLLECT {
            MATCH (k:PlanCounter) WHERE k.plan_id = p.id AND k.stripe >= 0 RETURN k.finished } | t + x),
          .failed_critical, first_number: p.last_step_number - $added + 1,
          is_child: EXISTS { (:ExecutionStep)-[:SPAWNED]->(p) }} AS plan
