// mark_agents_inactive: Agents not seen for a while become INACTIVE.
// Parameters: $seconds
// Result columns: n
MATCH (a:Agent {status: 'ACTIVE'})
WHERE a.last_seen_at < datetime() - duration({seconds: $seconds})
SET a.status = 'INACTIVE'
RETURN count(a) AS n
