// get_step_status: a step's status.
// Parameters: $id
// Result columns: status
MATCH (s:ExecutionStep {id: $id}) RETURN s.status AS status
