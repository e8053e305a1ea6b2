"""The verbs of a living plan for agents (issue 29), through the MCP server at ``/mcp``
with the official client: pending decisions by plan, changes by status, remove and
replan, messages read, marked and answered, and a wait that returns when a step it
watches moves."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from graphsvc.mcp.server import tool_annotations
from tests.helpers import KEYS
from tests.mcp.test_stdio import _call, _session


def _admin(api: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {KEYS['admin']}"}
    answer = httpx.request(method, f"{api}{path}", headers=headers, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json()


async def _scenario(api: str) -> None:
    async with (
        _session(api, "coordinator", "http") as lead,
        _session(api, "worker", "http") as agent,
    ):
        spec = {
            "name": "verbs",
            "steps": [
                {"key": "A", "kind": "task", "description": "a"},
                {"key": "GATE", "kind": "approval", "description": "sign off"},
                {"key": "B", "kind": "task", "description": "b", "depends_on": ["A"]},
                {"key": "X", "kind": "task", "description": "x", "depends_on": ["A"]},
            ],
        }
        listed = {t.name: t for t in (await lead.list_tools()).tools}
        assert listed["get_plan"].annotations is not None
        assert listed["get_plan"].annotations.read_only_hint is True
        assert listed["remove_step"].annotations.destructive_hint is True  # type: ignore[union-attr]
        assert not listed["create_plan"].description.startswith(" ")  # type: ignore[union-attr]
        created = await _call(lead, "create_plan", spec=spec, start=True)
        plan_id, ids = created["id"], created["step_ids"]
        # The gate waits for a person: its decision is listed as pending for the plan.
        found = await _call(lead, "list_decisions", plan_id=plan_id)
        assert [(d["type"], d["step_id"]) for d in found["decisions"]] == [
            ("APPROVAL", ids["GATE"])
        ]
        assert (await _call(lead, "list_decisions", plan_id=plan_id, type="EXECUTE")) == {
            "decisions": []
        }
        # Remove X; the change is listed, applied.
        await _call(lead, "remove_step", step_id=ids["X"], reason="not needed")
        changes = await _call(lead, "list_modifications", plan_id=plan_id, status="APPLIED")
        assert [m["modification_type"] for m in changes["modifications"]] == ["REMOVE_STEP"]

        # Wait for B while A completes elsewhere.
        async def finish_a() -> None:
            await asyncio.sleep(1.0)
            claim = {"kinds": ["task"], "plan_ids": [plan_id]}
            [a] = (await _call(agent, "claim_steps", **claim))["steps"]
            assert a["key"] == "A"
            await _call(agent, "complete_step", step_id=a["id"], outputs={"done": True})

        waited, _ = await asyncio.gather(
            _call(lead, "wait_for_steps", step_ids=[ids["B"]], timeout_seconds=30),
            finish_a(),
        )
        assert waited == {"steps": {ids["B"]: "READY"}, "changed": [ids["B"]]}
        quiet = await _call(lead, "wait_for_steps", step_ids=[ids["GATE"]], timeout_seconds=1)
        assert quiet == {"steps": {ids["GATE"]: "WAITING"}, "changed": []}

        # A message to the worker's agent: listed unread, marked read, answered.
        _admin(api, "POST", "/v1/agents", json={"id": "boss-agent", "name": "boss"})
        sent = _admin(
            api,
            "POST",
            "/v1/communications",
            json={
                "from_agent_id": "boss-agent",
                "to_agent_id": "worker-user",
                "message_type": "REQUEST",
                "subject": "status?",
                "content": "how is B going",
                "plan_id": plan_id,
            },
        )
        inbox = (await _call(agent, "list_communications"))["communications"]
        assert inbox[0]["id"] == sent["id"] and inbox[0]["status"] == "SENT"
        await _call(agent, "mark_communication", communication_id=sent["id"])
        answer = await _call(
            agent, "respond_to_communication", communication_id=sent["id"], content="fine"
        )
        thread = _admin(
            api,
            "POST",
            "/v1/queries/get_communication_thread",
            json={"parameters": {"communication_id": sent["id"]}},
        )["rows"]
        by_id = {r["id"]: r for r in thread}
        assert by_id[sent["id"]]["status"] == "RESPONDED"
        assert by_id[answer["id"]]["to_agent"] == "boss-agent"
        assert by_id[answer["id"]]["message_type"] == "RESPONSE"

        # Replan: a new version that keeps A (completed) and drops the gate.
        new = {
            "name": "verbs v2",
            "steps": [
                {"key": "A", "kind": "task", "description": "a"},
                {"key": "B", "kind": "task", "description": "b", "depends_on": ["A"]},
            ],
        }
        replanned = await _call(lead, "replan_plan", plan_id=plan_id, reason="simpler", spec=new)
        assert replanned["id"] != plan_id
        old = await _call(lead, "get_plan", plan_id=plan_id)
        assert old["status"] == "SUPERSEDED"
        await _call(lead, "cancel_plan", plan_id=replanned["id"], reason="test over")


def test_the_verbs_of_a_living_plan_through_mcp(live_api: str) -> None:
    asyncio.run(_scenario(live_api))


def test_every_tool_has_annotations_and_reads_are_read_only() -> None:
    reads = tool_annotations("get_plan")
    assert reads.read_only_hint is True and reads.open_world_hint is False
    cancel = tool_annotations("cancel_step")
    assert cancel.read_only_hint is False and cancel.destructive_hint is True
    assert cancel.idempotent_hint is True
    assert tool_annotations("claim_steps").destructive_hint is False
