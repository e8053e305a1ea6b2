// schema.cypher: the constraints and indexes of graphsvc (DESIGN.md section 1).
// Parameters: none. Result columns: none.
// Idempotent (IF NOT EXISTS): graphsvc applies it at every start; running it
// again in Neo4j Browser changes nothing. One statement per ';'.

// Every node has a unique string id.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT message_id IF NOT EXISTS FOR (n:Message) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT analysis_id IF NOT EXISTS FOR (n:Analysis) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT plan_id IF NOT EXISTS FOR (n:ExecutionPlan) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT step_id IF NOT EXISTS FOR (n:ExecutionStep) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT decision_id IF NOT EXISTS FOR (n:Decision) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT agent_id IF NOT EXISTS FOR (n:Agent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT capability_id IF NOT EXISTS FOR (n:Capability) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT capability_name IF NOT EXISTS FOR (n:Capability) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT modification_id IF NOT EXISTS FOR (n:PlanModification) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT communication_id IF NOT EXISTS FOR (n:AgentCommunication) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT context_id IF NOT EXISTS FOR (n:ExecutionContext) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE;
// A plan's events are numbered 1, 2, 3, ... without repeats, so paging with
// events?after=<seq> sees each once. Events carry their plan's id for this (events
// written before it have none and are not covered).
CREATE CONSTRAINT event_plan_seq IF NOT EXISTS FOR (n:Event) REQUIRE (n.plan_id, n.seq) IS UNIQUE;
// The journal (DESIGN.md section 9): one EventBatch per plan per write transaction,
// numbered after its commit. A plan's numbers (first_seq .. last_seq of each batch) are
// unique; one EventSequence node per plan holds the last number given.
CREATE CONSTRAINT event_batch_id IF NOT EXISTS FOR (n:EventBatch) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT event_batch_plan_seq IF NOT EXISTS FOR (n:EventBatch) REQUIRE (n.plan_id, n.first_seq) IS UNIQUE;
CREATE CONSTRAINT event_sequence_plan IF NOT EXISTS FOR (n:EventSequence) REQUIRE n.plan_id IS UNIQUE;
// A plan's completions count its finished steps on one of a few counter stripes, not on
// the plan node (complete_steps): one node per (plan, stripe).
CREATE CONSTRAINT plan_counter_stripe IF NOT EXISTS FOR (n:PlanCounter) REQUIRE (n.plan_id, n.stripe) IS UNIQUE;
// One node per start-up fill-in of what earlier versions did not store, once it ran.
CREATE CONSTRAINT migration_id IF NOT EXISTS FOR (n:GraphsvcMigration) REQUIRE n.id IS UNIQUE;

// Range indexes on the properties queries filter and sort on.
CREATE INDEX plan_status IF NOT EXISTS FOR (n:ExecutionPlan) ON (n.status);
CREATE INDEX plan_created_at IF NOT EXISTS FOR (n:ExecutionPlan) ON (n.created_at);
CREATE INDEX step_status IF NOT EXISTS FOR (n:ExecutionStep) ON (n.status);
// Claims seek READY steps by kind and routing capability (the first of the capabilities
// a step requires, '' for none): a READY backlog that needs a capability the claimer
// lacks is not read.
// Higher-priority plans first: the seek is by rank (priority_rank, 0 CRITICAL .. 3 LOW,
// the plan's, stored on each step). Within those, from a random claim shard on
// (claim_shard, 0..255 at random per step): racing claimers read different parts of the
// frontier. The indexes of earlier versions, without them, go.
DROP INDEX step_claim IF EXISTS;
DROP INDEX step_claim_ranked IF EXISTS;
CREATE INDEX step_claim_sharded IF NOT EXISTS FOR (n:ExecutionStep) ON (n.status, n.priority_rank, n.kind, n.routing_capability, n.claim_shard);
// Claims limited to some plans (plan_ids: `graphsvc run` claims only its own plan's
// steps) seek their READY steps, and their WAITING spawners, through this one.
// Claims pass over the READY steps of plans at their max_parallel: the bounded plans (few)
// are found through this index.
CREATE INDEX plan_max_parallel IF NOT EXISTS FOR (n:ExecutionPlan) ON (n.max_parallel);
// (With claim_shard last: those claims start at a random shard too. The plain
// (plan_id, status) index stays beside it for counts and reads by status: with only the
// three-property one, Neo4j 5.26 chose the status index and counted a plan's steps by
// reading every step of that status in the database (bench W10, session 11).)
CREATE INDEX step_plan_status IF NOT EXISTS FOR (n:ExecutionStep) ON (n.plan_id, n.status);
CREATE INDEX step_plan_status_shard IF NOT EXISTS FOR (n:ExecutionStep) ON (n.plan_id, n.status, n.claim_shard);
CREATE INDEX step_lease_expires_at IF NOT EXISTS FOR (n:ExecutionStep) ON (n.lease_expires_at);
// The sweep finds waiting gate steps past their deadline (deadline_seconds) through this.
CREATE INDEX step_wait_deadline IF NOT EXISTS FOR (n:ExecutionStep) ON (n.wait_deadline);
CREATE INDEX step_key IF NOT EXISTS FOR (n:ExecutionStep) ON (n.key);
// A step's key is unique within its plan: new keys are checked through this index
// (each step carries its plan's id, plan_id), at a cost that does not grow with the
// number of other plans' steps sharing the key.
CREATE INDEX step_plan_key IF NOT EXISTS FOR (n:ExecutionStep) ON (n.plan_id, n.key);
// A plan's steps are read a page at a time, in step_number order, through this index.
CREATE INDEX step_plan_number IF NOT EXISTS FOR (n:ExecutionStep) ON (n.plan_id, n.step_number);
// A plan's audit trail is read a page at a time, in time order: its events through this.
CREATE INDEX event_plan_timestamp IF NOT EXISTS FOR (n:Event) ON (n.plan_id, n.timestamp);
CREATE INDEX event_timestamp IF NOT EXISTS FOR (n:Event) ON (n.timestamp);
CREATE INDEX event_seq IF NOT EXISTS FOR (n:Event) ON (n.seq);
// events?after= reads a plan's batches from the one holding the number after the cursor
// on, in order; the audit reads them in time order; the sequencer finds a plan's
// unnumbered batches (pending_plan_id is removed once a batch is numbered, so the index
// holds only those).
CREATE INDEX event_batch_plan_last_seq IF NOT EXISTS FOR (n:EventBatch) ON (n.plan_id, n.last_seq);
CREATE INDEX event_batch_plan_timestamp IF NOT EXISTS FOR (n:EventBatch) ON (n.plan_id, n.timestamp);
CREATE INDEX event_batch_pending IF NOT EXISTS FOR (n:EventBatch) ON (n.pending_plan_id);
CREATE INDEX decision_status IF NOT EXISTS FOR (n:Decision) ON (n.status);
CREATE INDEX analysis_status IF NOT EXISTS FOR (n:Analysis) ON (n.status);
CREATE INDEX modification_timestamp IF NOT EXISTS FOR (n:PlanModification) ON (n.timestamp);
CREATE INDEX agent_status IF NOT EXISTS FOR (n:Agent) ON (n.status);
CREATE INDEX communication_status IF NOT EXISTS FOR (n:AgentCommunication) ON (n.status);
CREATE INDEX message_timestamp IF NOT EXISTS FOR (n:Message) ON (n.timestamp);
