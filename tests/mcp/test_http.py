"""The MCP server mounted at ``/mcp`` of the API (streamable HTTP, ``Authorization:
Bearer <key>``; issue 20), driven by the MCP client of the ``mcp`` package against a real
API and Neo4j: the same tools per role and the same whole scenario as over stdio."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from graphsvc.ids import new_id
from graphsvc.mcp.server import COORDINATOR_TOOLS, VIEWER_TOOLS, WORKER_TOOLS
from graphsvc.store import Database, plans
from tests.helpers import KEYS
from tests.mcp.test_stdio import _call, _session, _tools, check_scenario


def test_each_key_sees_exactly_its_roles_tools_over_http(live_api: str) -> None:
    assert asyncio.run(_tools(live_api, "viewer", "http")) == set(VIEWER_TOOLS)
    assert asyncio.run(_tools(live_api, "worker", "http")) == set(VIEWER_TOOLS + WORKER_TOOLS)
    coordinator = asyncio.run(_tools(live_api, "coordinator", "http"))
    assert coordinator == set(VIEWER_TOOLS + COORDINATOR_TOOLS)


def test_mcp_over_http_needs_a_key(live_api: str) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        answer = httpx.post(f"{live_api}/mcp", json=hello, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"


def test_a_worker_and_a_coordinator_run_a_plan_through_mcp_over_http(
    live_api: str, db: Database
) -> None:
    check_scenario(live_api, db, "http")


async def _two_sessions(api: str) -> tuple[str, str]:
    """One coordinator creates a plan; two MCP sessions of the same worker key: the one
    that claimed a step holds its lease, the other is told so; then the claiming session
    ends holding it. Returns the plan id, the step id and the refusal's text."""
    async with _session(api, "coordinator", "http") as lead:
        spec = {"name": "two sessions", "steps": [{"key": "A", "kind": "task", "description": "a"}]}
        created = await _call(lead, "create_plan", spec=spec, start=True)
    claim = {"kinds": ["task"], "plan_ids": [created["id"]], "lease_seconds": 300}
    async with _session(api, "worker", "http") as other:  # noqa: SIM117 (mine ends first)
        async with _session(api, "worker", "http") as mine:
            [step] = (await _call(mine, "claim_steps", **claim))["steps"]
            refused = await other.call_tool("complete_step", {"step_id": step["id"]})
            text = "".join(getattr(c, "text", "") for c in refused.content)
            assert refused.is_error
            await _call(mine, "heartbeat_step", step_id=step["id"])
        # ``mine`` ended (its client sent DELETE) still holding the step.
    return step["id"], text


def test_leases_belong_to_the_mcp_session_that_claimed_them(live_api: str) -> None:
    step_id, text = asyncio.run(_two_sessions(live_api))
    assert "not_found" in text and "this MCP session holds no lease" in text
    assert "claim_steps" in text
    headers = {"Authorization": f"Bearer {KEYS['viewer']}"}
    detail = httpx.get(f"{live_api}/v1/steps/{step_id}", headers=headers, timeout=10).json()
    # READY at once (its lease had five minutes left), given back, not lost.
    step = detail["step"]
    assert step["status"] == "READY" and (step.get("lease_losses") or 0) == 0
    assert [e["type"] for e in detail["events"]].count("STEP_RELEASED") == 1


def test_a_stopping_serve_gives_back_what_its_mcp_sessions_hold(db: Database) -> None:
    """When the API stops, the leases its MCP sessions still hold go back at once, READY
    (given back straight to Neo4j: the server no longer listens by then)."""
    from graphsvc.cli._local_api import LocalApi
    from graphsvc.domain import parse_spec
    from graphsvc.engine import lifecycle
    from graphsvc.engine.plans import create_plan
    from graphsvc.settings import Settings

    kind = f"held_{new_id()[-8:].lower()}"
    spec = parse_spec({"name": "held", "steps": [{"key": "A", "kind": kind}]})
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start")
    keys = ",".join(f"{k}:{r}:{r}-user" for r, k in KEYS.items())
    local = LocalApi(Settings(api_keys=keys, reconcile_on_start=False), db=db)
    local.__enter__()
    claimed: list[str] = []

    async def claim_and_stop() -> None:
        async with _session(local.url, "worker", "http") as mine:
            claim = {"kinds": [kind], "plan_ids": [plan_id], "lease_seconds": 300}
            claimed.extend(s["id"] for s in (await _call(mine, "claim_steps", **claim))["steps"])
            await asyncio.to_thread(local.__exit__, None, None, None)

    with contextlib.suppress(Exception, BaseExceptionGroup):  # its server went: expected
        asyncio.run(claim_and_stop())
    [step] = plans.get_plan(db, plan_id).steps
    assert claimed == [step.id]
    assert step.status.value == "READY" and step.lease_losses == 0
    lifecycle.transition_plan(db, plan_id, "cancel")
