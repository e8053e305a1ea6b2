"""A long-poll claim whose caller hung up leases nothing: a worker stopped (or crashed)
in the middle of its poll leaves the next steps to the workers still there. Through a
real HTTP server (uvicorn), against a real Neo4j."""

from __future__ import annotations

import time

import httpx
import pytest

from graphsvc.ids import new_id
from graphsvc.store import Database, plans
from tests.helpers import auth


def test_a_long_poll_whose_caller_hung_up_claims_nothing(live_api: str, db: Database) -> None:
    kind = f"hangup-{new_id()[-8:]}"
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.Client(base_url=live_api, headers=auth("admin"), timeout=0.5) as gone,
    ):
        gone.post(
            "/v1/steps/claim",
            json={"agent_id": "gone", "kinds": [kind], "max_steps": 1, "wait_seconds": 10},
        )
    # The poll is still waiting on the server; the step it would take appears now.
    coordinator = httpx.Client(base_url=live_api, headers=auth("coordinator"), timeout=30)
    created = coordinator.post(
        "/v1/plans?start=true", json={"name": "hangup", "steps": [{"key": "A", "kind": kind}]}
    ).json()
    time.sleep(1.5)  # three of the poll's half-second rounds
    [step] = plans.get_plan(db, created["id"]).steps
    assert step.status.value == "READY" and step.assigned_to is None
