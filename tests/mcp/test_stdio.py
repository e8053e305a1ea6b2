"""``graphsvc mcp`` over stdio, driven by the MCP client of the ``mcp`` package, against a
real API and Neo4j (issue 20): each key sees exactly its role's tools; a worker claims,
completes and fails steps by id while the server heartbeats for it; a coordinator adds
a step and removes a dependency mid-run; a spawn creates child plans; the plan
completes, and its audit names the agent and the reasons."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from graphsvc.mcp.server import COORDINATOR_TOOLS, VIEWER_TOOLS, WORKER_TOOLS
from graphsvc.store import Database, plans
from tests.helpers import KEYS


@asynccontextmanager
async def _session(api: str, role: str, transport: str = "stdio") -> AsyncIterator[ClientSession]:
    """A client session with the MCP server of ``role``'s key: ``graphsvc mcp`` launched
    over stdio, or (``transport="http"``) the server mounted at ``/mcp`` of the API."""
    if transport == "http":
        headers = {"Authorization": f"Bearer {KEYS[role]}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            streamable_http_client(f"{api}/mcp", http_client=http) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            await session.initialize()
            yield session
        return
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "graphsvc", "mcp", "--api", api, "--key", KEYS[role]]
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def _call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)  # type: ignore[union-attr]
    assert not result.is_error, f"{tool}: {text}"  # type: ignore[union-attr]
    return json.loads(text) if text else None


async def _tools(api: str, role: str, transport: str = "stdio") -> set[str]:
    async with _session(api, role, transport) as session:
        return {t.name for t in (await session.list_tools()).tools}


def test_each_key_sees_exactly_its_roles_tools(live_api: str) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "graphsvc", "mcp", "--api", live_api, "--key", KEYS["admin"]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1 and "admin key" in refused.stderr
    assert asyncio.run(_tools(live_api, "viewer")) == set(VIEWER_TOOLS)
    assert asyncio.run(_tools(live_api, "worker")) == set(VIEWER_TOOLS + WORKER_TOOLS)
    assert asyncio.run(_tools(live_api, "coordinator")) == set(VIEWER_TOOLS + COORDINATOR_TOOLS)


async def _scenario(api: str, transport: str = "stdio") -> str:
    async with (
        _session(api, "coordinator", transport) as lead,
        _session(api, "worker", transport) as agent,
    ):
        spec = {
            "name": "mcp plan",
            "steps": [
                {"key": "A", "kind": "task", "description": "first"},
                {"key": "B", "kind": "task", "description": "spawns", "depends_on": ["A"]},
                {
                    "key": "C",
                    "kind": "task",
                    "description": "fails",
                    "depends_on": ["A"],
                    "is_critical": False,
                },
            ],
        }
        created = await _call(lead, "create_plan", spec=spec, start=True)
        plan_id, ids = created["id"], created["step_ids"]
        seen = await _call(agent, "get_plan", plan_id=plan_id)
        assert {s["key"]: set(s) for s in seen["steps"]} == {
            k: {"id", "key", "status", "name"} for k in ("A", "B", "C")
        }
        resource = await agent.read_resource(f"graphsvc://plans/{plan_id}")
        as_resource = json.loads(resource.contents[0].text)  # type: ignore[union-attr]
        assert as_resource["id"] == plan_id and len(as_resource["steps"]) == 3
        tree = await agent.read_resource(f"graphsvc://plans/{plan_id}/tree")
        assert plan_id in tree.contents[0].text  # type: ignore[union-attr]
        claim = {"kinds": ["task"], "plan_ids": [plan_id], "lease_seconds": 5}
        [a] = (await _call(agent, "claim_steps", **claim))["steps"]
        assert a["key"] == "A" and "lease_token" not in a
        # While A runs: unblock C, and add D after B.
        await _call(lead, "remove_dependency", step_id=ids["C"], depends_on="A", reason="unblock")
        added = {"key": "D", "kind": "task", "description": "last", "depends_on": ["B"]}
        await _call(lead, "add_steps", plan_id=plan_id, steps=[added], reason="one more")
        [c] = (await _call(agent, "claim_steps", **claim))["steps"]
        assert c["key"] == "C"
        await _call(agent, "fail_step", step_id=c["id"], error_message="flaky", retryable=False)
        await asyncio.sleep(15)  # three leases long: the server heartbeats A meanwhile
        await _call(agent, "complete_step", step_id=a["id"], outputs={"done": "A"})
        [b] = (await _call(agent, "claim_steps", **claim))["steps"]
        child = {"name": "child", "steps": [{"key": "K", "kind": "task", "description": "k"}]}
        spawned = await _call(agent, "spawn_child_plans", step_id=b["id"], plans=[child])
        [k] = (await _call(agent, "claim_steps", **claim))["steps"]
        assert k["plan_id"] == spawned["child_plan_ids"][0]
        await _call(agent, "complete_step", step_id=k["id"], outputs={"done": "K"})
        for _ in range(50):
            got = (await _call(agent, "claim_steps", **claim))["steps"]
            if got:
                break
            await asyncio.sleep(0.2)
        [d] = got
        assert d["key"] == "D"
        await _call(agent, "complete_step", step_id=d["id"])
        audit = await _call(lead, "get_audit", plan_id=plan_id)
        summaries = json.dumps(audit)
        assert "worker-user" in summaries and "unblock" in summaries and "one more" in summaries
        return str(plan_id)


def check_scenario(live_api: str, db: Database, transport: str) -> None:
    """The whole scenario above, then the plan as the graph holds it."""
    plan_id = asyncio.run(_scenario(live_api, transport))
    plan = plans.get_plan(db, plan_id)
    steps = {s.key: s for s in plan.steps}
    assert plan.status.value == "COMPLETED"
    assert steps["A"].outputs == {"done": "A"} and steps["A"].lease_losses == 0
    assert steps["C"].status.value == "FAILED"
    assert steps["B"].status.value == "COMPLETED" and steps["D"].status.value == "COMPLETED"


def test_a_worker_and_a_coordinator_run_a_plan_through_mcp(live_api: str, db: Database) -> None:
    check_scenario(live_api, db, "stdio")
