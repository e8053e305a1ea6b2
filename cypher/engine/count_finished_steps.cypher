// count_finished_steps: Plans count their newly finished steps (the unfinished counter).
// Parameters: $plans
// Each of plans is {plan_id, completed}.
// Result columns: none
UNWIND $plans AS pc
MATCH (p:ExecutionPlan {id: pc.plan_id})
SET p.unfinished = p.unfinished - pc.completed
