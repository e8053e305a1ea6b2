"""What the MCP server hands a model, without Neo4j: compact plans, cut texts, pages with
a note on the rest, and leases it stops renewing when no tool call uses them."""

from __future__ import annotations

import time

from graphsvc.mcp._leases import Leases
from graphsvc.mcp._results import MAX_ITEMS, MAX_TEXT, compact_plan, cut_texts, page
from graphsvc.worker import ApiClient


def test_a_plan_shows_its_steps_as_id_key_status_name() -> None:
    steps = [
        {
            "id": f"s{i}",
            "key": f"K{i}",
            "status": "READY" if i % 2 else "PENDING",
            "name": "n",
            "outputs": {"x": "y" * 10_000},
            "inputs": {},
        }
        for i in range(MAX_ITEMS + 30)
    ]
    plan = {"id": "p", "name": "big", "status": "EXECUTING", "steps": steps}
    view = compact_plan(plan)
    assert view["id"] == "p" and len(view["steps"]) == MAX_ITEMS
    assert view["steps"][0] == {"id": "s0", "key": "K0", "status": "PENDING", "name": "n"}
    assert "30 more steps" in view["note"]
    ready = compact_plan(plan, "READY")
    assert len(ready["steps"]) == (MAX_ITEMS + 30) // 2 and "note" not in ready


def test_long_texts_are_cut_with_a_note_on_reading_them_whole() -> None:
    cut = cut_texts({"a": ["z" * (MAX_TEXT + 5)], "b": "short"}, "get_step with full=true")
    assert cut["b"] == "short"
    assert cut["a"][0].startswith("z" * MAX_TEXT + "... [cut: ")
    assert f"{MAX_TEXT + 5} characters" in cut["a"][0] and "full=true" in cut["a"][0]


def test_long_lists_come_in_pages() -> None:
    items = list(range(250))
    first = page(items, 0, "rows", "run_query")
    assert first["rows"] == list(range(MAX_ITEMS)) and first["total"] == 250
    assert first["note"] == f"{250 - MAX_ITEMS} more: call run_query with offset={MAX_ITEMS}"
    last = page(items, 200, "rows", "run_query")
    assert last["rows"] == list(range(200, 250)) and "note" not in last


def test_a_lease_no_tool_call_uses_is_no_longer_renewed() -> None:
    leases = Leases(ApiClient("http://127.0.0.1:9", api_key="unused"), max_idle_seconds=0.2)
    leases.add("used", "t1", 60)
    leases.add("forgotten", "t2", 60)
    time.sleep(0.3)
    leases.touch("used")
    leases._forget_idle()
    assert leases.token("used") == "t1"
    assert "forgotten" not in leases.held and "no tool call" in leases.lost["forgotten"]
