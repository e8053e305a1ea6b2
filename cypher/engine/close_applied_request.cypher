// close_applied_request: An approved change that had nothing left to change (its edge was
// already gone, say) is APPLIED all the same: the request was carried out.
// Parameters: $id, $modification_applied, $modification_request_to
// Result columns: none
MATCH (m:PlanModification {id: $id})
WHERE m.status = $modification_request_to
SET m.status = $modification_applied, m.applied_at = datetime()
