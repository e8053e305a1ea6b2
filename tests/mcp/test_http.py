"""The MCP server mounted at ``/mcp`` of the API (streamable HTTP, ``Authorization:
Bearer <key>``; issue 20), driven by the MCP client of the ``mcp`` package against a real
API and Neo4j: the same tools per role and the same whole scenario as over stdio."""

from __future__ import annotations

import asyncio

import httpx

from graphsvc.mcp.server import COORDINATOR_TOOLS, VIEWER_TOOLS, WORKER_TOOLS
from graphsvc.store import Database
from tests.mcp.test_stdio import _tools, check_scenario


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
