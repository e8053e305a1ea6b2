"""The journal: every transition is recorded in the transaction that makes it, one
``EventBatch`` per plan per transaction, numbered after the commit.

A transaction's transitions are gathered on its ``Tx`` (``write_plan_events``) and
written last, just before the commit (``flush_journal``): one ``EventBatch`` node per
plan the transaction moved (in parts of at most ``BATCH_SIZE`` transitions), holding
that plan's transitions in order as parallel arrays (subject ids and kinds, types, from
and to statuses, actors, messages, details as JSON text), with ``plan_id``, the
transaction's start time (``started_at``, ``datetime.transaction()``) and its write time
(``timestamp``); one ``(:EventBatch)-[:RECORDS {type, from_status, to_status,
position}]->(subject)`` per transition of a step, plan or decision. Nothing on this path
touches the plan node: writers of one plan do not wait for each other here.

A batch has no number when it is written (``pending_plan_id`` marks it). The sequencer
(``graphsvc.store.journal``) numbers committed batches afterwards under a lock of the
plan's own ``EventSequence`` node, in the order they were written: the batch gets
``first_seq`` and ``last_seq``, its transition ``i`` the number ``first_seq + i``,
unique and gap-free per plan (the ``event_batch_plan_seq`` constraint). This is the
high-water-mark pattern of event stores (../shared/DESIGN.md section 9). Arrays cannot
hold nulls in Neo4j: a missing status, actor, message or detail is stored as ``''`` and
read back as null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphsvc.ids import new_id
from graphsvc.metrics import count_events
from graphsvc.store._convert import to_json
from graphsvc.store._queries import engine_query

if TYPE_CHECKING:
    from graphsvc.store._db import Tx

__all__ = ["BATCH_SIZE", "flush_journal", "write_plan_events"]

_WRITE_EVENTS = engine_query("write_events")
# At most this many transitions in one EventBatch: a transaction that moves more of one
# plan (a 10,000-step plan's start makes 10,000 steps READY) writes its batch in parts,
# so reading one entry of a batch (a page of events, a step's history) never loads
# arrays of unbounded length.
BATCH_SIZE = 500


def write_plan_events(tx: Tx, events: list[dict[str, Any]]) -> None:
    """Record events, each ``{plan_id, step_id?, decision_id?, type, from_status?,
    to_status?, message?, detail?, actor?}``, in this transaction's journal: with
    ``step_id`` (``decision_id``) the event is about that step (decision), else
    about its plan. They are written when the transaction function returns, before
    the commit (``flush_journal``), in the order they were recorded. The journal
    only records: what follows from the events (a gate step that became READY
    waiting for a person) is the engine's (``graphsvc.engine.progress.record``).
    """
    for ev in events:
        if ev.get("step_id"):
            kind, subject = "step", ev["step_id"]
        elif ev.get("decision_id"):
            kind, subject = "decision", ev["decision_id"]
        else:
            kind, subject = "plan", ev["plan_id"]
        tx.journal.setdefault(ev["plan_id"], []).append(
            {
                "subject_id": subject,
                "subject_kind": kind,
                "type": ev["type"],
                "from_status": ev.get("from_status") or "",
                "to_status": ev.get("to_status") or "",
                "message": ev.get("message") or "",
                "detail": to_json(ev.get("detail")) or "",
                "actor": ev.get("actor") or "",
            }
        )


def flush_journal(tx: Tx) -> list[str]:
    """Write the transaction's journal: one ``EventBatch`` per plan, in plan id order
    (one query for every plan). Returns the ids of the plans written, for the
    sequencer to number after the commit; metrics count the events once committed."""
    if not tx.journal:
        return []
    plan_ids = sorted(tx.journal)
    groups = []
    for pid in plan_ids:
        events, base = tx.journal[pid], new_id()
        # Parts of one transaction's batch are written, and so numbered, in order: their
        # ids sort by part (``-00000``, ``-00001``, ...).
        groups += [
            {"id": f"{base}-{n:05d}", "plan_id": pid, "events": events[i : i + BATCH_SIZE]}
            for n, i in enumerate(range(0, len(events), BATCH_SIZE))
        ]
    tx.journal.clear()
    written = tx.run(_WRITE_EVENTS, groups=groups).single(strict=True)
    steps, plans = written["steps"], written["plans"]
    tx.on_commit(lambda: count_events(steps, plans))
    return plan_ids
