// set_steps_ready: PENDING steps whose dependencies are satisfied become READY.
// Parameters: $step_ids
// Result columns: id
UNWIND $step_ids AS sid
MATCH (s:ExecutionStep {id: sid, status: 'PENDING'})
SET s.status = 'READY', s.ready_at = datetime()
RETURN s.id AS id
