"""Every refusal speaks (issue 29): through a real MCP client session with
``graphsvc mcp`` over stdio, each tool called with a case the API refuses answers with
``isError`` and a text that names the API's error code, its message and the details an
agent corrects course from; a lease lost to a cancellation says to stop working on the
step; the server prints no traceback for any of it."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from graphsvc.mcp.server import COORDINATOR_TOOLS, VIEWER_TOOLS, WORKER_TOOLS
from tests.helpers import KEYS


@asynccontextmanager
async def _stdio(api: str, role: str, errlog: TextIO) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "graphsvc", "mcp", "--api", api, "--key", KEYS[role]]
    )
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def _ok(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, f"{tool}: {text}"
    return json.loads(text)


async def _refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert result.is_error, f"{tool} was not refused: {text}"
    return text


async def _scenario(api: str, errlog: TextIO) -> dict[str, str]:
    texts: dict[str, str] = {}
    async with _stdio(api, "coordinator", errlog) as lead, _stdio(api, "worker", errlog) as agent:
        # Viewer tools.
        texts["list_plans"] = await _refused(lead, "list_plans", status="SIDEWAYS")
        texts["get_plan"] = await _refused(lead, "get_plan", plan_id="no-such-plan")
        texts["get_step"] = await _refused(lead, "get_step", step_id="no-such-step")
        texts["get_status_tree"] = await _refused(lead, "get_status_tree", plan_id="no-such")
        texts["get_audit"] = await _refused(lead, "get_audit", plan_id="no-such-plan")
        texts["run_query"] = await _refused(lead, "run_query", name="no_such_query")
        texts["list_queries"] = "never refused"
        texts["list_decisions"] = await _refused(lead, "list_decisions", type="WHIM")
        texts["list_modifications"] = await _refused(lead, "list_modifications", plan_id="no-such")
        texts["wait_for_steps"] = await _refused(lead, "wait_for_steps", step_ids=["no-such"])
        texts["remove_step"] = await _refused(lead, "remove_step", step_id="no-such-step")
        texts["replan_plan"] = await _refused(
            lead, "replan_plan", plan_id="no-such-plan", reason="r", spec={"name": "n", "steps": []}
        )
        # Coordinator tools.
        bad = {"name": "bad", "steps": [{"key": "A", "kind": "task", "depends_on": ["GHOST"]}]}
        texts["create_plan"] = await _refused(lead, "create_plan", spec=bad)
        spec = {
            "name": "refusals",
            "steps": [
                {"key": "A", "kind": "task", "description": "a"},
                {"key": "B", "kind": "task", "description": "b", "depends_on": ["A"]},
                {"key": "C", "kind": "task", "description": "c", "depends_on": ["B"]},
            ],
        }
        created = await _ok(lead, "create_plan", spec=spec, start=True)
        plan_id, ids = created["id"], created["step_ids"]
        texts["start_plan"] = await _refused(lead, "start_plan", plan_id=plan_id)
        texts["resume_plan"] = await _refused(lead, "resume_plan", plan_id=plan_id)
        texts["add_steps"] = await _refused(
            lead, "add_steps", plan_id=plan_id, steps=[{"key": "A", "kind": "task"}]
        )
        texts["add_dependency"] = await _refused(
            lead, "add_dependency", step_id=ids["A"], depends_on="C", reason="loop"
        )
        texts["remove_dependency"] = await _refused(
            lead, "remove_dependency", step_id="no-such-step", depends_on=ids["A"]
        )
        texts["retry_step"] = await _refused(lead, "retry_step", step_id=ids["A"])
        texts["provide_input"] = await _refused(lead, "provide_input", step_id=ids["A"], text="x")
        texts["decide"] = await _refused(lead, "decide", decision_id="no-such", approve=True)
        # Worker tools: a step this server holds no lease on, then one taken from it.
        texts["claim_steps"] = await _refused(agent, "claim_steps", max_steps=0)
        texts["heartbeat_step"] = await _refused(agent, "heartbeat_step", step_id=ids["B"])
        texts["release_step"] = await _refused(agent, "release_step", step_id=ids["B"])
        texts["fail_step"] = await _refused(agent, "fail_step", step_id=ids["B"], error_message="x")
        texts["spawn_child_plans"] = await _refused(
            agent, "spawn_child_plans", step_id=ids["B"], tickets=["# T: t [agent]\nt"]
        )
        texts["send_communication"] = await _refused(
            agent, "send_communication", to_agent_id="no-such-agent", subject="hi"
        )
        texts["list_communications"] = await _refused(agent, "list_communications", status="LOST")
        texts["mark_communication"] = await _refused(
            agent, "mark_communication", communication_id="no-such"
        )
        texts["respond_to_communication"] = await _refused(
            agent, "respond_to_communication", communication_id="no-such", content="hi"
        )
        claim = {"kinds": ["task"], "plan_ids": [plan_id]}
        [a] = (await _ok(agent, "claim_steps", **claim))["steps"]
        texts["update_step"] = await _refused(
            lead, "update_step", step_id=a["id"], patch={"description": "late"}
        )
        await _ok(lead, "cancel_step", step_id=a["id"], reason="not needed")
        texts["complete_step"] = await _refused(agent, "complete_step", step_id=a["id"])
        texts["cancel_step"] = await _refused(lead, "cancel_step", step_id=a["id"])
        texts["skip_step"] = await _refused(lead, "skip_step", step_id=a["id"])
        await _ok(lead, "cancel_plan", plan_id=plan_id, reason="done here")
        texts["pause_plan"] = await _refused(lead, "pause_plan", plan_id=plan_id)
        texts["cancel_plan"] = await _refused(lead, "cancel_plan", plan_id=plan_id)
    return texts


def test_every_tool_refused_says_why_with_the_api_error_code(live_api: str) -> None:
    with tempfile.TemporaryFile("w+") as errlog:
        texts = asyncio.run(_scenario(live_api, errlog))
        errlog.seek(0)
        stderr = errlog.read()
    assert set(texts) == set(VIEWER_TOOLS + WORKER_TOOLS + COORDINATOR_TOOLS)
    for tool, text in texts.items():
        if text == "never refused":
            continue
        assert text.startswith(f"Error executing tool {tool}: {tool} refused ("), text
        assert "\n" not in text.strip(), text
    assert "(not_found)" in texts["get_plan"] and "no-such-plan" in texts["get_plan"]
    assert "(validation_failed)" in texts["create_plan"] and "GHOST" in texts["create_plan"]
    assert "(validation_failed)" in texts["list_plans"] and "status" in texts["list_plans"]
    assert "(conflict)" in texts["start_plan"] and "EXECUTING" in texts["start_plan"]
    assert "cycle" in texts["add_dependency"]
    assert "(conflict)" in texts["update_step"] and "ASSIGNED" in texts["update_step"]
    assert "(conflict)" in texts["pause_plan"] and "CANCELLED" in texts["pause_plan"]
    assert "claim steps with claim_steps in this session" in texts["heartbeat_step"]
    assert "list_communications" in texts["respond_to_communication"]
    # The lease was taken back by a cancellation: stop, do not report.
    assert "(conflict)" in texts["complete_step"]
    assert "do not report it" in texts["complete_step"]
    assert "CANCELLED" in texts["complete_step"]
    assert "Traceback" not in stderr


async def _give_back(api: str, errlog: TextIO) -> tuple[str, str]:
    async with _stdio(api, "coordinator", errlog) as lead:
        spec = {
            "name": "give back",
            "steps": [
                {"key": "A", "kind": "task", "description": "a"},
                {"key": "B", "kind": "task", "description": "b"},
            ],
        }
        created = await _ok(lead, "create_plan", spec=spec, start=True)
    plan_id = created["id"]
    claim = {"kinds": ["task"], "plan_ids": [plan_id], "lease_seconds": 600}
    async with _stdio(api, "worker", errlog) as agent:
        [first] = (await _ok(agent, "claim_steps", **claim))["steps"]
        given = await _ok(agent, "release_step", step_id=first["id"])
        assert given == {"step_id": first["id"], "status": "READY"}
        claimed = (await _ok(agent, "claim_steps", max_steps=2, **claim))["steps"]
        assert len(claimed) == 2
    # The session ended holding both: they are READY again, long before their leases end.
    return plan_id, str(first["id"])


def test_leases_are_given_back_by_release_step_and_when_the_session_ends(live_api: str) -> None:
    import httpx

    with tempfile.TemporaryFile("w+") as errlog:
        plan_id, first = asyncio.run(_give_back(live_api, errlog))
    headers = {"Authorization": f"Bearer {KEYS['viewer']}"}
    steps = httpx.get(f"{live_api}/v1/plans/{plan_id}", headers=headers).json()["steps"]
    assert {s["status"] for s in steps} == {"READY"}
    assert {s.get("lease_losses") or 0 for s in steps} == {0}
    events = httpx.get(f"{live_api}/v1/steps/{first}", headers=headers).json()["events"]
    assert [e["type"] for e in events].count("STEP_RELEASED") == 2
