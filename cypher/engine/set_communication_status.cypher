// set_communication_status: move a communication forward (checked by its caller).
// Parameters: $id, $status
// Result columns: none
MATCH (c:AgentCommunication {id: $id}) SET c.status = $status
