"""The service's own queries, one per file in ``cypher/engine/`` (issue 19): each header
names exactly the parameters its body uses and the columns it returns (checked with
EXPLAIN against Neo4j), and no Python module of ``graphsvc`` holds Cypher text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from graphsvc.domain.states import AgentStatus, AnalysisStatus, PlanStatus, StepStatus
from graphsvc.domain.transitions import (
    COMMUNICATION_STATUSES,
    DECISION_STATUSES,
    MODIFICATION_STATUSES,
)
from graphsvc.store import Database
from graphsvc.store._queries import QueryFile, engine_queries, table_parameters

QUERIES = list(engine_queries().values())
CLAUSE = re.compile(r"\b(MATCH|MERGE|UNWIND|RETURN|DETACH DELETE|CALL \w+\.|CREATE \()")
PACKAGE = Path(__file__).resolve().parents[2] / "graphsvc"
STATUSES = {
    *StepStatus,
    *PlanStatus,
    *AgentStatus,
    *AnalysisStatus,
    *DECISION_STATUSES,
    *MODIFICATION_STATUSES,
    *COMMUNICATION_STATUSES,
}
STATUS_LITERAL = re.compile("'(" + "|".join(sorted(STATUSES)) + ")'")


def test_verb_noun_names() -> None:
    assert len(QUERIES) >= 80
    for query in QUERIES:
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", query.name), query.name


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_header_declares_exactly_the_used_parameters(query: QueryFile) -> None:
    assert query.header.startswith(query.name + ":"), "the header opens with the file's name"
    assert query.declared_params == query.used_params


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_explain_runs_and_returns_the_declared_columns(query: QueryFile, db: Database) -> None:
    params = {**{p: None for p in query.declared_params}, **table_parameters(query.body)}
    with db.driver.session(database=db.name) as session:
        result = session.run("EXPLAIN " + query.body, params)
        columns = list(result.keys())
        result.consume()
    assert tuple(columns) == query.result_columns


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_statuses_travel_as_parameters_from_the_table(query: QueryFile) -> None:
    """No service query spells a status out: each names it as a parameter the store
    fills from the transition table."""
    assert STATUS_LITERAL.findall(query.body) == []


def test_no_python_module_of_graphsvc_holds_cypher() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and CLAUSE.search(node.value)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_the_two_claims_differ_only_in_how_they_seek() -> None:
    """claim_steps and claim_steps_in_plans are one query with two seeks (the planner needs
    each written out to pick its index): everything else must stay the same."""
    queries = engine_queries()

    def rest(name: str) -> list[str]:
        lines = queries[name].body.splitlines()
        # The seeks: which priority ranks (all, or those of the plans), and the MATCH.
        ranks = next(i for i, line in enumerate(lines) if line.startswith("WITH a, $capabilities"))
        call = next(i for i, line in enumerate(lines) if line.startswith("CALL (a, capabilities"))
        seek = next(i for i, line in enumerate(lines) if line.strip() == "MATCH (s:ExecutionStep)")
        between = [line for line in lines[call + 1 : seek] if not line.endswith(" AS rank")]
        # Every seek (the first lap's and the second's): from its MATCH to its capability.
        kept, skipping = [], False
        for line in lines[seek:]:
            if line.strip() == "MATCH (s:ExecutionStep)":
                skipping = True
            if not skipping:
                kept.append(line)
            if skipping and "routing_capability IN" in line:
                skipping = False
        return lines[:ranks] + between + kept

    assert rest("claim_steps") == rest("claim_steps_in_plans")
