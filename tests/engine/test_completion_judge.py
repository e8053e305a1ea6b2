"""The judge of a completion is one rule (issue 28): the completion's first query
(``cypher/engine/complete_steps.cypher``) and ``domain.rules.judge_completion`` give the
same verdict over one table of cases, each a step put in a state by hand. The query
runs against a real Neo4j in a transaction that is rolled back."""

from __future__ import annotations

from typing import Any

import pytest

from graphsvc._errors import ConflictError, LeaseExpired, NotFoundError, PermissionDenied
from graphsvc.domain import parse_spec
from graphsvc.domain.leases import hash_token
from graphsvc.domain.rules import Completion, completion_digest, judge_completion
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, Tx
from graphsvc.store._queries import engine_query

TOKEN, OTHER = "token-right", "token-wrong"
BODY = {"answer": 42}
DONE = {"status": "COMPLETED", "digest": True}
# name: (the step's state, the item's token and outputs, the agent the key acts as,
# whether the step before it is COMPLETED (chained cases), the verdict)
CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any], str | None, bool, str]] = {
    "assigned": ({"status": "ASSIGNED"}, TOKEN, BODY, None, False, "ok"),
    "executing": ({"status": "EXECUTING"}, TOKEN, BODY, None, False, "ok"),
    "executing, its own agent": ({"status": "EXECUTING"}, TOKEN, BODY, "agent-a", False, "ok"),
    "stale token": ({"status": "EXECUTING"}, OTHER, BODY, None, False, "stale"),
    "another agent's": ({"status": "EXECUTING"}, TOKEN, BODY, "agent-b", False, "forbidden"),
    "repeat": (DONE, TOKEN, BODY, None, False, "repeat"),
    "other body": (
        {"status": "COMPLETED", "digest": True},
        TOKEN,
        {"x": 1},
        None,
        False,
        "differs",
    ),
    "completed, stale": (
        {"status": "COMPLETED", "digest": True},
        OTHER,
        BODY,
        None,
        False,
        "stale",
    ),
    "waiting": ({"status": "WAITING"}, TOKEN, BODY, None, False, "status"),
    "ready": ({"status": "READY"}, TOKEN, BODY, None, False, "status"),
    "no lease": ({"status": "EXECUTING", "no_lease": True}, TOKEN, BODY, None, False, "stale"),
    "held in chain": ({"status": "ASSIGNED", "chained": True}, TOKEN, BODY, None, False, "held"),
    "chain, before done": ({"status": "ASSIGNED", "chained": True}, TOKEN, BODY, None, True, "ok"),
    "missing": ({"missing": True}, TOKEN, BODY, None, False, "missing"),
    "expired": ({"status": "EXECUTING", "expired": True}, TOKEN, BODY, None, False, "expired"),
    "expired, stale": ({"status": "EXECUTING", "expired": True}, OTHER, BODY, None, False, "stale"),
    "expired, held": (
        {"status": "ASSIGNED", "chained": True, "expired": True},
        TOKEN,
        BODY,
        None,
        False,
        "expired",
    ),
}
ERRORS = {
    "missing": NotFoundError,
    "forbidden": PermissionDenied,
    "stale": ConflictError,
    "status": ConflictError,
    "held": ConflictError,
    "differs": ConflictError,
    "expired": LeaseExpired,
}


def _setup(db: Database, state: dict[str, Any], before_done: bool) -> tuple[str, dict[str, Any]]:
    """A step in ``state`` (leased to agent-a with TOKEN unless ``no_lease``), chained
    behind its dependency when ``chained``; the step as judge_completion is given it."""
    spec = parse_spec(
        {
            "name": "judge",
            "steps": [
                {"key": "BEFORE", "kind": "noop"},
                {"key": "S", "kind": "noop", "depends_on": ["BEFORE"]},
            ],
        }
    )
    created = create_plan(db, spec)
    step_id, before_id = created.step_ids["S"], created.step_ids["BEFORE"]
    if state.get("missing"):
        return new_id(), {}
    lease = None if state.get("no_lease") else hash_token(TOKEN)
    digest = completion_digest(BODY, {}) if state.get("digest") else None
    chained = before_id if state.get("chained") else None
    db.write(
        lambda tx: tx.run(
            "MATCH (s:ExecutionStep {id: $id}), (b:ExecutionStep {id: $before}) "
            "MERGE (a:Agent {id: 'agent-a'}) "
            "SET s.status = $status, s.lease_token_hash = $lease, s.completion_digest = $digest, "
            "    s.chained_after = $chained, s.claimed_at = datetime(), "
            "    s.lease_expires_at = datetime() + duration({seconds: $lease_left}), "
            "    b.status = CASE WHEN $before_done THEN 'COMPLETED' ELSE 'EXECUTING' END "
            "CREATE (s)-[:ASSIGNED_TO]->(a)",
            id=step_id,
            before=before_id,
            status=state["status"],
            lease=lease,
            digest=digest,
            chained=chained,
            before_done=before_done,
            lease_left=-1 if state.get("expired") else 60,
        ).consume()
    )
    step = {
        "id": step_id,
        "status": state["status"],
        "lease_hash": lease,
        "completion_digest": digest,
        "chained_after": chained,
        "after_status": "COMPLETED" if before_done else "EXECUTING",
        "lease_holder": "agent-a",
        "lease_expired": bool(state.get("expired")),
    }
    return step_id, step


def _query_verdict(
    db: Database, step_id: str, token: str, outputs: dict[str, Any], agent: str | None
) -> str:
    item = {
        "step_id": step_id,
        "token_hash": hash_token(token),
        "digest": completion_digest(outputs, {}),
        "outputs": "{}",
        "changeset": "{}",
        "started_at": None,
        "completed_at": None,
    }
    with db.driver.session(database=db.name) as session:
        tx = session.begin_transaction()
        try:
            record = (
                Tx(tx)
                .run(engine_query("complete_steps"), items=[item], agent=agent, stripe=0)
                .single(strict=True)
            )
        finally:
            tx.rollback()
    [verdict] = record["verdicts"]
    return str(verdict)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_query_and_judge_completion_give_the_same_verdict(db: Database, case: str) -> None:
    state, token, outputs, agent, before_done, expected = CASES[case]
    step_id, step = _setup(db, state, before_done)
    item = Completion(step_id, token, outputs, {})
    digest = completion_digest(outputs, {})
    outcome = judge_completion(step or None, item, digest, agent)
    assert _query_verdict(db, step_id, token, outputs, agent) == expected
    if expected == "ok":
        assert outcome is None
    elif expected == "repeat":
        assert outcome is not None and outcome["repeated"] is True
    else:
        assert outcome is not None and isinstance(outcome["error"], ERRORS[expected])
