// get_audit_chain: everything that led to and happened in a plan, in time order: the
// user -> message -> analysis that created it, every decision and who approved or rejected
// it, every modification and who requested it, every transition (from the journal's
// EventBatch nodes; Event nodes for plans of earlier versions) with its actor,
// and every agent communication about the plan or its steps. An analysis's or a decision's
// actor is who recorded it (recorded_by); the decisions the service opens itself
// (approval gates, plan approvals, change requests) name graphsvc.
// A page at a time: the rows after the cursor ($after_time, $after_kind, $after_id: the
// last row of the page before, all null for the first page), at most $limit, in
// (time, kind, subject_id) order. A plan's transitions, the bulk of it, are read through
// the (plan_id, timestamp) index of its journal batches from the cursor on, in its order,
// and the decisions and communications about its steps from their side, so a page does
// not read every step or every event of the plan.
// Parameters: $plan_id, $after_time, $after_kind, $after_id, $limit
// Result columns: time, kind, actor, summary, subject_id
MATCH (p:ExecutionPlan {id: $plan_id})
CALL {
  WITH p
  MATCH (u:User)-[:INITIATES]->(m:Message)-[:TRIGGERS_ANALYSIS]->(:Analysis)-[:CREATES_PLAN]->(p)
  RETURN m.timestamp AS time, 'MESSAGE' AS kind, u.id AS actor, m.content AS summary,
         m.id AS subject_id
  UNION
  WITH p
  MATCH (a:Analysis)-[:CREATES_PLAN]->(p)
  RETURN a.timestamp AS time, 'ANALYSIS' AS kind, a.recorded_by AS actor,
         a.intent + ' (' + a.category + ', confidence ' + toString(a.confidence) + '): ' +
         coalesce(a.reasoning, '') AS summary, a.id AS subject_id
  UNION
  WITH p
  MATCH (d:Decision)-[:AFFECTS_PLAN]->(p)
  RETURN d.timestamp AS time, 'DECISION' AS kind, coalesce(d.recorded_by, 'graphsvc') AS actor,
         d.type + ': ' + d.action + ' [' + d.status + ']' AS summary, d.id AS subject_id
  UNION
  WITH p
  // From the decisions' side: every Decision of the database is scanned, which is
  // cheaper than reading every step of a large plan while decisions are few.
  MATCH (d:Decision)-[:AFFECTS_STEP]->(s:ExecutionStep)
  USING SCAN d:Decision
  WHERE s.plan_id = p.id
  RETURN d.timestamp AS time, 'DECISION' AS kind, coalesce(d.recorded_by, 'graphsvc') AS actor,
         d.type + ': ' + d.action + ' [' + d.status + ']' AS summary, d.id AS subject_id
  UNION
  WITH p
  MATCH (d:Decision)-[:AFFECTS_PLAN]->(p)
  MATCH (u:User)-[r:APPROVES|REJECTS]->(d)
  RETURN r.timestamp AS time, type(r) AS kind, u.id AS actor,
         d.type + ': ' + d.action + coalesce(' (' + r.comment + ')', '') AS summary,
         d.id AS subject_id
  UNION
  WITH p
  MATCH (m:PlanModification)-[:MODIFIES_PLAN]->(p)
  OPTIONAL MATCH (who)-[:REQUESTS_MODIFICATION]->(m)
  RETURN m.timestamp AS time, 'MODIFICATION' AS kind, who.id AS actor,
         m.modification_type + coalesce(' ' + head([(m)-[:MODIFIES_STEP|CREATES_STEP]->(s) |
         s.key]), '') + coalesce(': ' + m.reason, '') AS summary, m.id AS subject_id
  UNION
  WITH p
  // The journal: one EventBatch per transaction, its transitions as arrays.
  MATCH (b:EventBatch)
  WHERE b.plan_id = p.id
    AND b.timestamp >= coalesce(datetime($after_time), datetime({epochMillis: 0}))
  WITH b
  // By plan_id too: then in the (plan_id, timestamp) index's order, not all sorted.
  ORDER BY b.plan_id, b.timestamp, b.id
  UNWIND range(0, b.size - 1) AS i
  WITH b, i, b.id + '.' + right('00000' + toString(i), 6) AS event_id
  WHERE $after_time IS NULL OR b.timestamp > datetime($after_time) OR 'EVENT' > $after_kind
        OR ('EVENT' = $after_kind AND event_id > $after_id)
  WITH b, i, event_id
  LIMIT $limit
  OPTIONAL MATCH (s:ExecutionStep {id: CASE b.subject_kinds[i] WHEN 'step' THEN b.subject_ids[i] END})
  RETURN b.timestamp AS time, 'EVENT' AS kind, nullIf(b.actors[i], '') AS actor,
         b.types[i] + coalesce(' ' + s.key, '') +
         coalesce(' ' + nullIf(b.from_statuses[i], ''), '') +
         coalesce(' -> ' + nullIf(b.to_statuses[i], ''), '') +
         coalesce(': ' + nullIf(b.messages[i], ''), '') AS summary, event_id AS subject_id
  UNION
  WITH p
  // Transitions written one Event node each by earlier versions.
  MATCH (e:Event)
  WHERE e.plan_id = p.id
    AND e.timestamp >= coalesce(datetime($after_time), datetime({epochMillis: 0}))
    AND ($after_time IS NULL OR e.timestamp > datetime($after_time) OR 'EVENT' > $after_kind
         OR ('EVENT' = $after_kind AND e.id > $after_id))
  WITH e
  ORDER BY e.plan_id, e.timestamp, e.id
  LIMIT $limit
  RETURN e.timestamp AS time, 'EVENT' AS kind, e.actor AS actor,
         e.type + coalesce(' ' + head([(e)-[:ABOUT]->(s:ExecutionStep) | s.key]), '') +
         coalesce(' ' + e.from_status, '') + coalesce(' -> ' + e.to_status, '') +
         coalesce(': ' + e.message, '') AS summary, e.id AS subject_id
  UNION
  WITH p
  MATCH (c:AgentCommunication)-[:ABOUT_PLAN]->(p)
  RETURN c.timestamp AS time, 'COMMUNICATION' AS kind,
         head([(f:Agent)-[:SENDS]->(c) | f.id]) AS actor,
         c.message_type + ' to ' + head([(t:Agent)-[:RECEIVES]->(c) | t.id]) + ': ' +
         c.subject AS summary, c.id AS subject_id
  UNION
  WITH p
  MATCH (c:AgentCommunication)-[:ABOUT_STEP]->(s:ExecutionStep)
  USING SCAN c:AgentCommunication
  WHERE s.plan_id = p.id
  RETURN c.timestamp AS time, 'COMMUNICATION' AS kind,
         head([(f:Agent)-[:SENDS]->(c) | f.id]) AS actor,
         c.message_type + ' to ' + head([(t:Agent)-[:RECEIVES]->(c) | t.id]) + ': ' +
         c.subject AS summary, c.id AS subject_id
}
WITH time, kind, actor, summary, subject_id, coalesce(time, datetime({epochMillis: 0})) AS at
WHERE $after_time IS NULL OR at > datetime($after_time)
   OR (at = datetime($after_time)
       AND (kind > $after_kind OR (kind = $after_kind AND subject_id > $after_id)))
RETURN time, kind, actor, summary, subject_id
ORDER BY at, kind, subject_id
LIMIT $limit
