// set_steps_ready: PENDING steps whose dependencies are satisfied become READY.
// Parameters: $step_ids, $step_pending, $step_ready_to
// Result columns: id
UNWIND $step_ids AS sid
MATCH (s:ExecutionStep {id: sid, status: $step_pending})
SET s.status = $step_ready_to, s.ready_at = datetime()
RETURN s.id AS id
