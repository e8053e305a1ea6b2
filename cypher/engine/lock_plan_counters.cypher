// lock_plan_counters: Lock every counter stripe of a plan (0 .. $stripes - 1, created if missing): completions in flight, which count on one stripe without the plan's lock, commit before what follows reads the counts.
// Run before a plan's end is judged (finish_plan) and before its counters are recounted
// (the reconciler): a completion that follows waits for this transaction and sees the
// steps it ended, so two ends of a plan's last steps never miss each other.
// Parameters: $plan_id, $stripes
// Result columns: none
UNWIND range(0, $stripes - 1) AS k
MERGE (c:PlanCounter {plan_id: $plan_id, stripe: k})
ON CREATE SET c.finished = 0
SET c.lock_seq = coalesce(c.lock_seq, 0) + 1
