// update_step: Set properties of a step that has not started.
// Parameters: $props, $step_id
// Result columns: none
MATCH (s:ExecutionStep {id: $step_id})
SET s += $props
