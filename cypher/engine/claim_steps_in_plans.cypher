// claim_steps_in_plans: Claim READY steps of some plans for an agent, with a lease.
// With a plan filter (``plan_ids``, expanded to the plans' running descendants): the
// READY steps of those plans only, through the (plan_id, status, claim_shard) index, so a claim for
// one small plan does not read the backlog of every other plan.
// Parameters: $agent_active, $agent_id, $capabilities, $kinds, $lease_hashes, $lease_seconds, $max_steps, $plan_executing, $plan_ids, $priority_ranks, $step_claim_to, $step_completed, $step_leased, $step_ready, $shard
// Result columns: steps, lost
// (lost: steps it found READY that a racing claimer took first; the caller seeks again)
MERGE (a:Agent {id: $agent_id})
  ON CREATE SET a.name = $agent_id, a.status = $agent_active, a.last_seen_at = datetime()
// Written at most once a second: idle long-polls of one agent's slots do not queue on its lock.
FOREACH (_ IN CASE WHEN a.status <> $agent_active OR a.last_seen_at IS NULL
                        OR a.last_seen_at < datetime() - duration({seconds: 1})
                   THEN [1] ELSE [] END |
  SET a.last_seen_at = datetime(), a.status = $agent_active)
WITH a, $capabilities + [(a)-[:HAS_CAPABILITY]->(own:Capability) | own.name] AS capabilities,
     // The priority ranks of these plans, in order: one seek each.
     [r IN range(0, 3) WHERE EXISTS { MATCH (p:ExecutionPlan)
                                     WHERE p.id IN $plan_ids
                                       AND coalesce($priority_ranks[p.priority], 2) = r }]
       AS ranks
// Running plans at their max_parallel (only bounded plans are read, through their index;
// counted again under the plan's lock below): their READY steps are passed over, so they
// never take the places of other plans' steps.
WITH *, COLLECT { MATCH (p:ExecutionPlan)
                  WHERE p.max_parallel IS NOT NULL AND p.status = $plan_executing
                    AND COUNT { MATCH (x:ExecutionStep)
                                WHERE x.plan_id = p.id AND x.status IN $step_leased }
                        >= p.max_parallel
                  RETURN p.id } AS full
CALL (a, capabilities, ranks, full) {
  // Higher-priority plans first: one seek per priority rank (0 CRITICAL .. 3 LOW, the
  // plan's, stored on each step), each stopping at $max_steps, so a claim reads at most
  // that many candidates per rank, never the whole backlog.
  UNWIND ranks AS rank
  CALL (rank, capabilities, full) {
    // From the random claim shard $shard on, then (a second lap) from shard 0 up to it, so
    // claimers racing on one frontier read, and lock, different steps (started at the same
    // first steps, all but one came back empty: bench W4, W7). Only READY steps of this
    // rank and these kinds that need no capability or whose first required one the agent
    // has are read, through the claim index: (status, priority_rank, kind,
    // routing_capability, claim_shard) for any plan, (plan_id, status, claim_shard) for
    // some. (Written as one MATCH, not UNWINDs of kinds and capabilities: the planner then
    // reads all the candidates before it locks them, and 64 claimers of one star claimed
    // 1,017 - 1,357 steps/s instead of 329 - 516, most of the UNWIND form's claims losing
    // steps.)
    MATCH (s:ExecutionStep)
    USING INDEX s:ExecutionStep(plan_id, status, claim_shard)
    WHERE s.plan_id IN $plan_ids AND s.status = $step_ready AND s.claim_shard >= $shard
      AND s.priority_rank = rank AND s.kind IN $kinds
      AND s.routing_capability IN [''] + capabilities
      AND (s.not_before IS NULL OR s.not_before <= datetime())
      AND NOT EXISTS { (s)-[:ASSIGNED_TO {reserved: true}]->(other:Agent)
                       WHERE other.id <> $agent_id }
      AND all(c IN [(s)-[:REQUIRES_CAPABILITY]->(cap:Capability) | cap.name]
              WHERE c IN capabilities)
      AND EXISTS { (:ExecutionPlan {status: $plan_executing})-[:CONTAINS_STEP]->(s) }
      AND NOT s.plan_id IN full
    RETURN s, 0 AS lap LIMIT $max_steps
    UNION ALL
    MATCH (s:ExecutionStep)
    USING INDEX s:ExecutionStep(plan_id, status, claim_shard)
    WHERE s.plan_id IN $plan_ids AND s.status = $step_ready AND s.claim_shard < $shard
      AND s.priority_rank = rank AND s.kind IN $kinds
      AND s.routing_capability IN [''] + capabilities
      AND (s.not_before IS NULL OR s.not_before <= datetime())
      AND NOT EXISTS { (s)-[:ASSIGNED_TO {reserved: true}]->(other:Agent)
                       WHERE other.id <> $agent_id }
      AND all(c IN [(s)-[:REQUIRES_CAPABILITY]->(cap:Capability) | cap.name]
              WHERE c IN capabilities)
      AND EXISTS { (:ExecutionPlan {status: $plan_executing})-[:CONTAINS_STEP]->(s) }
      AND NOT s.plan_id IN full
    RETURN s, 1 AS lap LIMIT $max_steps
  }
  // DISTINCT: a step seen twice by an index seek racing other writers is claimed once.
  // The first lap's steps first, in shard order; the caller seeks again (from another
  // shard) for the ones a racing claimer took: "lost" below.
  WITH DISTINCT s, rank, lap ORDER BY rank, lap, s.claim_shard LIMIT $max_steps
  // Locked in id order, as most writers of several steps lock them (a deadlock with
  // a writer in another order is detected by Neo4j and the transaction tried again).
  WITH s, rank ORDER BY s.id
  SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
  // Answered in priority order again.
  WITH s, rank ORDER BY rank
  // Checked again under the lock: a racing claimer may have taken it.
  RETURN collect(CASE WHEN s.status = $step_ready THEN s END) AS candidates, count(s) AS seen
}
CALL (candidates) {
  // Plan limits: a plan with max_parallel keeps at most that many steps leased at once.
  // Such a plan is locked (after the steps, as completions lock it) and its leased
  // steps counted under the lock, so concurrent claimers take turns on it; plans
  // without a bound are neither locked nor counted.
  UNWIND candidates AS s
  MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s)
  WITH p, collect(s) AS steps
  FOREACH (_ IN CASE WHEN p.max_parallel IS NULL THEN [] ELSE [1] END |
    SET p.lock_seq = coalesce(p.lock_seq, 0) + 1)
  WITH steps, CASE WHEN p.max_parallel IS NULL THEN size(steps)
                   ELSE p.max_parallel - COUNT { MATCH (x:ExecutionStep)
                                              WHERE x.plan_id = p.id
                                                AND x.status IN $step_leased } END AS room
  UNWIND steps[..CASE WHEN room < 0 THEN 0 ELSE room END] AS s
  RETURN collect(s) AS won
}
CALL (a, won) {
  // Each won step gets one of the token hashes the caller made (domain.leases): the graph
  // keeps only the hash, the claimer alone learns the token.
  UNWIND range(0, size(won) - 1) AS i
  WITH a, won[i] AS s, $lease_hashes[i] AS lease_hash
  MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s)
  OPTIONAL MATCH (s)-[old:ASSIGNED_TO]->(:Agent)
  WHERE NOT coalesce(old.reserved, false)
  DELETE old
  WITH DISTINCT a, s, p, lease_hash
  SET s.status = $step_claim_to, s.lease_token_hash = lease_hash,
      s.lease_expires_at = datetime() + duration({seconds: $lease_seconds}),
      s.attempt_deadline = CASE WHEN s.timeout_seconds IS NULL THEN null
                                ELSE datetime() + duration({seconds: s.timeout_seconds}) END,
      s.claimed_at = datetime(), s.chained_after = null
  CREATE (s)-[:ASSIGNED_TO]->(a)
  RETURN collect(
    s {.id, .key, .kind, .name, .description, .inputs, lease_hash: s.lease_token_hash,
       // A number, not a DATETIME: the driver takes about 60 us to decode one.
       lease_expires_ms: s.lease_expires_at.epochMillis,
       .retry_count, .timeout_seconds, .validate_command, plan_id: p.id,
       context: head([(p)-[:EXECUTES_IN]->(c:ExecutionContext {is_active: true}) |
                      c {.id, .environment, .variables, .constraints, .resources,
                         .policies, .permissions}]),
       prior_work: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) WHERE d.status = $step_completed |
                    {key: d.key, name: d.name, outputs: d.outputs}]}) AS steps
}
RETURN steps, seen - size(candidates) AS lost
