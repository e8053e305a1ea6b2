"""Every file in cypher/: its header names exactly the parameters its body uses, and it runs."""

from __future__ import annotations

import neo4j
import pytest
from fastapi.testclient import TestClient

from graphsvc.store import Database, list_queries
from graphsvc.store.queries import run_read_only
from tests.helpers import auth

QUERIES = list_queries()
SAMPLE = {
    "plan_id": "none",
    "prefix": "none",
    "step_id": "none",
    "root_only": True,
    "status": None,
    "limit": 10,
    "depth": 3,
    "agent_id": "none",
    "capabilities": [],
    "communication_id": "none",
    "steps_after": 0,
    "after_time": None,
    "after_kind": None,
    "after_id": None,
}


def test_the_required_queries_exist() -> None:
    names = {q.name for q in QUERIES}
    assert {
        "get_plan",
        "get_ready_steps",
        "find_blocked_steps",
        "get_plan_steps_with_agents",
        "list_root_plans",
        "get_status_tree",
        "get_plan_modifications",
        "get_audit_chain",
        "find_plans_requiring_approval",
        "get_agent_workload",
        "find_available_agents",
        "get_communication_thread",
    } <= names


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_header_declares_exactly_the_used_parameters(query) -> None:  # type: ignore[no-untyped-def]
    assert query.header.startswith(query.name + ":"), "the header opens with the file's name"
    assert query.declared_params == query.used_params
    assert query.result_columns, "the header names the result columns"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_runs_against_neo4j(query, db: Database) -> None:  # type: ignore[no-untyped-def]
    params = {p: SAMPLE[p] for p in query.declared_params}
    result = run_read_only(db, query.body, params)
    assert result["columns"] == list(query.result_columns)


def test_a_write_in_a_read_transaction_is_refused(db: Database) -> None:
    with pytest.raises(neo4j.exceptions.ClientError) as info:
        run_read_only(db, "CREATE (:User {id: 'should-not-exist'})", {})
    assert "AccessMode" in (info.value.code or "")


def test_queries_over_http(client: TestClient) -> None:
    listed = client.get("/v1/queries", headers=auth("viewer")).json()
    assert {q["name"] for q in listed} == {q.name for q in QUERIES}
    ok = client.post(
        "/v1/queries/get_ready_steps", json={"parameters": {"plan_id": "x"}}, headers=auth("viewer")
    )
    assert ok.status_code == 200 and ok.json()["rows"] == []
    missing = client.post("/v1/queries/get_ready_steps", json={}, headers=auth("viewer"))
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["problems"][0]["location"] == "parameters.plan_id"
    assert (
        client.post("/v1/queries/drop_everything", json={}, headers=auth("viewer")).status_code
        == 404
    )


def test_the_browser_style_gives_each_node_of_the_schema_a_caption_that_says_what_it_is() -> None:
    import re

    from graphsvc.store._queries import cypher_dir

    grass = (cypher_dir() / "graphsvc.grass").read_text(encoding="utf-8")
    # Browser's grass parser takes no comments (InvalidGrassError): the file has none.
    assert "/*" not in grass and "//" not in grass
    assert grass.lstrip().startswith("node {")
    rules = dict(re.findall(r"node\.(\w+) \{(.*?)\n\}", grass, re.DOTALL))
    captions = {label: re.search(r'caption: "([^"]*)"', body) for label, body in rules.items()}
    assert captions["ExecutionStep"] and captions["ExecutionStep"][1] == "{key} {status}"
    assert captions["Decision"] and captions["Decision"][1] == "{type} {status}"
    for label in ("ExecutionPlan", "Agent", "Event", "User", "PlanModification"):
        assert captions[label], label
    colours = {re.search(r"color: (#\w+);", body)[1] for body in rules.values()}  # type: ignore[index]
    assert len(colours) >= 8  # distinct colours
