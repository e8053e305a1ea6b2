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
    body = {"agent_id": "gone", "kinds": [kind], "max_steps": 1}
    # One claim first, so the poll below is waiting, not still planning its first query
    # (a claim that is already running when its caller hangs up still leases: its
    # steps come back after their lease).
    warm = httpx.post(f"{live_api}/v1/steps/claim", json=body, headers=auth("admin"), timeout=30)
    assert warm.status_code == 200 and warm.json()["steps"] == []
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.Client(base_url=live_api, headers=auth("admin"), timeout=0.3) as gone,
    ):
        gone.post("/v1/steps/claim", json={**body, "wait_seconds": 10})
    # The poll is still waiting on the server (its next try at 0.5 s); once the hang-up
    # has reached the server, the step it would take appears.
    time.sleep(0.1)
    coordinator = httpx.Client(base_url=live_api, headers=auth("coordinator"), timeout=30)
    created = coordinator.post(
        "/v1/plans?start=true", json={"name": "hangup", "steps": [{"key": "A", "kind": kind}]}
    ).json()
    time.sleep(1.5)  # three of the poll's half-second rounds
    [step] = plans.get_plan(db, created["id"]).steps
    assert step.status.value == "READY" and step.assigned_to is None
