// find_taken_keys: Which of these keys the plan's steps already use.
// Which of the new keys the plan has: found through the (plan_id, key) index, so the
// cost follows the keys asked for, not the plan's size nor other plans sharing a key.
// Parameters: $keys, $plan_id
// Result columns: taken
UNWIND $keys AS k
MATCH (s:ExecutionStep {plan_id: $plan_id, key: k})
RETURN collect(DISTINCT k) AS taken
