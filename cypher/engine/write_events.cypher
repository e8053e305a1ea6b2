// write_events: Write audit events, numbered per plan under the plan's lock, each ABOUT its plan and its step or decision.
// Parameters: $groups
// Each of steps is {to, kind}: a step's new status; each of plans is {to}: a plan's.
// Result columns: steps, plans
UNWIND $groups AS g
MATCH (p:ExecutionPlan {id: g.plan_id})
// The counter is read in the SET itself, which takes the plan's write lock before it
// reads (Neo4j's rule for a direct dependency); read in a WITH before the SET, two
// writers saw the same value and numbered their events alike.
SET p.event_seq = coalesce(p.event_seq, 0) + size(g.events)
WITH p, g, p.event_seq - size(g.events) AS base
UNWIND range(0, size(g.events) - 1) AS i
WITH p, base + i + 1 AS seq, g.events[i] AS ev
OPTIONAL MATCH (step:ExecutionStep {id: ev.step_id})
OPTIONAL MATCH (decision:Decision {id: ev.decision_id})
CREATE (e:Event {id: ev.id, plan_id: p.id, seq: seq, type: ev.type, from_status: ev.from_status,
                 to_status: ev.to_status, message: ev.message, detail: ev.detail,
                 actor: ev.actor, timestamp: datetime()})
CREATE (e)-[:ABOUT]->(p)
FOREACH (_ IN CASE WHEN step IS NULL THEN [] ELSE [1] END | CREATE (e)-[:ABOUT]->(step))
FOREACH (_ IN CASE WHEN decision IS NULL THEN [] ELSE [1] END | CREATE (e)-[:ABOUT]->(decision))
WITH ev, step
// Step transitions only: a decision's or a change request's event about a step is none.
RETURN collect(CASE WHEN step IS NOT NULL AND ev.to_status IS NOT NULL
                         AND (ev.type STARTS WITH 'STEP_' OR ev.type = 'PLAN_MODIFIED_ADD_STEP')
                    THEN {to: ev.to_status, kind: step.kind} END) AS steps,
       collect(CASE WHEN ev.step_id IS NULL AND ev.decision_id IS NULL
                         AND ev.to_status IS NOT NULL AND ev.type STARTS WITH 'PLAN_'
                    THEN {to: ev.to_status} END) AS plans
