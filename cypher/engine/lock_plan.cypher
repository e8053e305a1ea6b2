// lock_plan: Lock a plan and read what its transitions are judged by.
// Parameters: $plan_id
// Result columns: status, requires_approval, on_failure, is_child
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.lock_seq = coalesce(p.lock_seq, 0) + 1
RETURN p.status AS status, p.requires_approval AS requires_approval, p.on_failure AS on_failure,
       EXISTS { (:ExecutionStep)-[:SPAWNED]->(p) } AS is_child
