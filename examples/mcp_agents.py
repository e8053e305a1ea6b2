"""Three agents run a living plan through MCP alone: a coordinator and two workers, each an
MCP client session (the official ``mcp`` SDK) with graphsvc's server at ``/mcp``.

Start the API in another terminal (`graphsvc serve`), then run:

    python examples/mcp_agents.py

The coordinator creates and starts a plan, adds steps and a dependency while it runs,
cancels a step, answers an approval gate, replans once and reads the audit trail; the
workers claim and complete steps. Along the way each agent is refused a few times and
corrects course from the refusal's text alone, as an LLM agent would. Keys:
GRAPHSVC_COORDINATOR_KEY and GRAPHSVC_WORKER_KEYS (two, comma-separated), else
GRAPHSVC_API_KEY (or this machine's local key) for all three; GRAPHSVC_API_URL for
another API.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from graphsvc.worker.client import default_api_key

API = os.environ.get("GRAPHSVC_API_URL", "http://127.0.0.1:8765").rstrip("/")
DEFAULT_KEY = default_api_key() or ""
LEAD_KEY = os.environ.get("GRAPHSVC_COORDINATOR_KEY", DEFAULT_KEY)
WORKER_KEYS = (os.environ.get("GRAPHSVC_WORKER_KEYS") or f"{DEFAULT_KEY},{DEFAULT_KEY}").split(",")


@asynccontextmanager
async def agent(key: str) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=90) as http,
        streamable_http_client(f"{API}/mcp", http_client=http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(ok, the result as JSON, or the refusal's text)."""
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.is_error:
        print(f"  refused: {text}")
        return False, text
    return True, json.loads(text) if text else None


async def work(session: ClientSession, name: str, plan_id: str) -> int:
    """Claim and complete task steps of the plan until none is left for a while."""
    done, idle = 0, 0
    while idle < 6:
        ok, got = await call(session, "claim_steps", kinds=["task"], plan_ids=[plan_id])
        steps = got["steps"] if ok else []
        if not steps:
            idle += 1
            await asyncio.sleep(0.5)
            continue
        idle = 0
        for step in steps:
            ok, _ = await call(session, "complete_step", step_id=step["id"], outputs={"by": name})
            done += ok
    return done


async def main() -> None:
    async with agent(LEAD_KEY) as lead, agent(WORKER_KEYS[0]) as ann, agent(WORKER_KEYS[1]) as bob:
        spec = {
            "name": "MCP agents",
            "steps": [
                {"key": "DRAFT", "kind": "task", "description": "Draft the notes"},
                {"key": "REVIEW", "kind": "task", "description": "Review", "depends_on": ["DRAFT"]},
                {"key": "SIGN", "kind": "approval", "description": "Sign off"},
                {"key": "SHIP", "kind": "task", "description": "Ship", "depends_on": ["REVIEW"]},
            ],
        }
        ok, plan = await call(lead, "create_plan", spec=spec, start=True)
        plan_id, ids = plan["id"], plan["step_ids"]
        print(f"plan {plan_id} started")
        # A worker reports a step it never claimed: the refusal says to claim first.
        ok, text = await call(ann, "complete_step", step_id=ids["DRAFT"])
        if "claim_steps" in text:
            ok, got = await call(ann, "claim_steps", kinds=["task"], plan_ids=[plan_id])
            for step in got["steps"]:
                await call(ann, "complete_step", step_id=step["id"], outputs={"notes": "v1"})
        # The coordinator asks REVIEW to wait for SHIP, which waits for REVIEW: a cycle.
        ok, text = await call(
            lead, "add_dependency", step_id=ids["REVIEW"], depends_on=ids["SHIP"], reason="oops"
        )
        if not ok and "cycle" in text:
            print("  the coordinator reads the cycle and adds a check step instead")
        check = {"key": "CHECK", "kind": "task", "description": "Check links"}
        extra = {"key": "EXTRA", "kind": "task", "description": "Not needed"}
        await call(
            lead,
            "add_steps",
            plan_id=plan_id,
            steps=[{**check, "depends_on": ["REVIEW"]}, extra],
            reason="a link check before shipping",
        )
        await call(lead, "add_dependency", step_id=ids["SHIP"], depends_on="CHECK", reason="check")
        ok, found = await call(lead, "get_plan", plan_id=plan_id)
        for step in found["steps"]:
            if step["key"] == "EXTRA":
                await call(lead, "cancel_step", step_id=step["id"], reason="not needed after all")
        # The approval gate: find the pending decision and approve it.
        ok, pending = await call(lead, "list_decisions", plan_id=plan_id)
        for decision in pending["decisions"]:
            await call(lead, "decide", decision_id=decision["id"], approve=True, comment="ok")
        # The coordinator replans once: the sign-off is dropped, the check kept; DRAFT,
        # completed already, is carried over and not run again.
        new = {
            "name": "MCP agents v2",
            "steps": [
                {"key": "DRAFT", "kind": "task", "description": "Draft the notes"},
                {"key": "REVIEW", "kind": "task", "description": "Review", "depends_on": ["DRAFT"]},
                {**check, "depends_on": ["REVIEW"]},
                {"key": "SHIP", "kind": "task", "description": "Ship", "depends_on": ["CHECK"]},
            ],
        }
        ok, replanned = await call(
            lead, "replan_plan", plan_id=plan_id, reason="no sign-off needed", spec=new
        )
        if ok:
            plan_id = replanned["id"]
            print(f"replanned as {plan_id}, carried over: {replanned['carried_over']}")
        # Both workers take what is left.
        counts = await asyncio.gather(work(ann, "ann", plan_id), work(bob, "bob", plan_id))
        ok, final = await call(lead, "get_plan", plan_id=plan_id)
        ok, audit = await call(lead, "get_audit", plan_id=plan_id)
        completed = sum(counts)
        print(f"{plan_id}: {final['status']} ({completed} steps completed by the workers)")
        print(f"audit: {len(audit['audit'])} entries")


if __name__ == "__main__":
    asyncio.run(main())
