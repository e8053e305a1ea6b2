// mark_agents_inactive: Agents not seen for a while become INACTIVE.
// Parameters: $agent_active, $agent_inactive, $seconds
// Result columns: n
MATCH (a:Agent {status: $agent_active})
WHERE a.last_seen_at < datetime() - duration({seconds: $seconds})
SET a.status = $agent_inactive
RETURN count(a) AS n
