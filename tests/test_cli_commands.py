"""The CLI commands a living plan needs (issue 31, item 1), as a user runs them against a
running API (``--api``): ``graphsvc --version``, ``query``, ``plan pause|resume``,
``step show``, and ``--json`` on the list and show commands; user text printed as
written, never read as markup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import graphsvc
from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import KEYS

NAMES = "Brackets [beta] plan [red]x[/red] [v2.1]"


def _cli(api: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", *args],
        env={
            **os.environ,
            "GRAPHSVC_API_URL": api,
            "GRAPHSVC_API_KEY": KEYS["admin"],
            "COLUMNS": "250",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ok(api: str, *args: str) -> str:
    done = _cli(api, *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def _json(api: str, *args: str) -> Any:
    return json.loads(_ok(api, *args, "--json"))


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graphsvc", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"graphsvc {graphsvc.__version__}"


def test_pause_resume_step_show_query_and_json(live_api: str, db: Database) -> None:
    kind = f"cli_{new_id()[-8:].lower()}"
    spec = {
        "name": NAMES,
        "steps": [
            {"key": "A", "kind": kind, "name": "[bold]first[/bold]", "inputs": {"n": 1}},
            {"key": "B", "kind": kind, "depends_on": ["A"]},
        ],
    }
    plan_id = create_plan(db, parse_spec(spec)).id
    lifecycle.transition_plan(db, plan_id, "start")
    [a] = work.claim(db, "cli-agent", [kind], [], plan_ids=[plan_id])
    work.complete(db, a["id"], a["lease_token"], {"answer": "[42]"}, {})

    assert "PAUSED" in _ok(live_api, "plan", "pause", plan_id, "--reason", "lunch")
    refused = _cli(live_api, "plan", "pause", plan_id)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "EXECUTING" in _ok(live_api, "plan", "resume", plan_id)

    shown = _ok(live_api, "step", "show", f"{plan_id}:A")
    for text in ("[bold]first[/bold]", "COMPLETED", '"answer": "[42]"', "STEP_COMPLETED", "B"):
        assert text in shown, text
    detail = _json(live_api, "step", "show", a["id"])
    assert detail["step"]["outputs"] == {"answer": "[42]"}
    assert [d["key"] for d in detail["dependents"]] == ["B"]

    assert NAMES in _ok(live_api, "plan", "show", plan_id)
    assert NAMES in _ok(live_api, "plan", "list")
    assert NAMES in _ok(live_api, "plan", "status", plan_id)
    assert _json(live_api, "plan", "show", plan_id)["name"] == NAMES
    assert plan_id in [p["id"] for p in _json(live_api, "plan", "list")]
    assert _json(live_api, "plan", "status", plan_id)["root"]["id"] == plan_id
    assert any(r["kind"] for r in _json(live_api, "plan", "audit", plan_id))
    assert isinstance(_json(live_api, "decide"), list)

    assert "get_ready_steps" in _ok(live_api, "query")
    rows = _json(live_api, "query", "get_ready_steps", "--param", f"plan_id={plan_id}")["rows"]
    assert [r["key"] for r in rows] == ["B"]
    table = _ok(live_api, "query", "get_ready_steps", "-p", f"plan_id={plan_id}")
    assert "1 row(s)" in table
    bad = _cli(live_api, "query", "get_ready_steps", "-p", "plan_id")
    assert bad.returncode == 2 and "give key=value" in bad.stderr

    # Unique id prefixes wherever an id goes.
    assert NAMES in _ok(live_api, "plan", "show", plan_id[:30])
    assert "STEP_COMPLETED" in _ok(live_api, "step", "show", a["id"][:30])
    assert "STEP_COMPLETED" in _ok(live_api, "step", "show", f"{plan_id[:30]}:A")
    other = create_plan(db, parse_spec({"name": "other", "steps": [{"key": "X", "kind": "noop"}]}))
    shared = next(i for i in range(36) if plan_id[i] != other.id[i])
    ambiguous = _cli(live_api, "plan", "show", plan_id[:shared])
    assert ambiguous.returncode == 2 and "more than one plan id" in ambiguous.stderr
    missing = _cli(live_api, "plan", "show", "zz")
    assert missing.returncode == 1 and "no plan id starts with 'zz'" in missing.stderr
    lifecycle.transition_plan(db, plan_id, "cancel")
