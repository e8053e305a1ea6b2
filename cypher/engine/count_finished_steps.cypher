// count_finished_steps: Plans count their newly finished steps on one of their PlanCounter stripes, not on the plan node; what is left unfinished as this transaction sees it.
// A completion writes no plan node: completions of one plan on different stripes do not
// wait for each other. A plan's unfinished steps are its `unfinished` property less the
// `finished` of its stripes. `left` counts what this transaction sees: another
// completion not yet committed is not in it, so a plan whose `left` stays above 0 while
// its last steps complete concurrently is ended by the check that follows each commit
// (engine.work.end_finished_plans).
// Parameters: $plans
// Each of plans is {plan_id, completed, stripe} (stripe 0 .. PLAN_COUNTER_STRIPES - 1).
// Result columns: plan_id, left, failed_critical
UNWIND $plans AS pc
MERGE (c:PlanCounter {plan_id: pc.plan_id, stripe: pc.stripe})
ON CREATE SET c.finished = 0
SET c.finished = c.finished + pc.completed
WITH pc
MATCH (p:ExecutionPlan {id: pc.plan_id})
RETURN p.id AS plan_id,
       p.unfinished - reduce(t = 0, x IN COLLECT { MATCH (k:PlanCounter {plan_id: p.id})
                                                  RETURN k.finished } | t + x) AS left,
       p.failed_critical AS failed_critical
