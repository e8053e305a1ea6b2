"""The plan-changing CLI commands as a user runs them, against the test Neo4j."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from graphsvc.domain import parse_spec
from graphsvc.engine import children, decisions, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, Neo4jTarget, plans
from graphsvc.store.modifications import list_modifications
from tests.helpers import neo4j_env


def _cli(target: Neo4jTarget, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", "plan", *args],
        env={**neo4j_env(target), "USER": "grace", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_changing_a_running_plan_from_the_command_line(
    db: Database, neo4j_target: Neo4jTarget
) -> None:
    human = {"kind": "task", "description": "by hand", "requires_capabilities": [new_id()]}
    spec = parse_spec({"name": "cli", "steps": [{"key": "A", **human}, {"key": "B", **human}]})
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start")

    added = _cli(
        neo4j_target,
        "add-step",
        plan_id,
        "--key",
        "C",
        "--kind",
        "noop",
        "--depends-on",
        "A",
        "--reason",
        "late idea",
    )
    assert added.returncode == 0, added.stderr
    assert "PENDING" in added.stdout
    assert _cli(neo4j_target, "depend", f"{plan_id}:B", "A", "--reason", "order").returncode == 0
    assert _cli(neo4j_target, "undepend", f"{plan_id}:B", "A").returncode == 0
    assert _cli(neo4j_target, "skip-step", f"{plan_id}:A", "--reason", "moot").returncode == 0
    refused = _cli(neo4j_target, "retry-step", f"{plan_id}:A")
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: cannot retry a step that is SKIPPED")
    assert "Traceback" not in refused.stderr
    missing = _cli(neo4j_target, "cancel-step", f"{plan_id}:NOPE")
    assert missing.returncode == 1 and "no step" in missing.stderr
    assert _cli(neo4j_target, "cancel-step", f"{plan_id}:B").returncode == 0

    steps = {s.key: s.status.value for s in plans.get_plan(db, plan_id).steps}
    assert steps == {"A": "SKIPPED", "B": "CANCELLED", "C": "READY"}
    mods = list_modifications(db, plan_id)
    assert [m.modification_type for m in mods] == [
        "CANCEL_STEP",
        "SKIP_STEP",
        "REMOVE_DEPENDENCY",
        "ADD_DEPENDENCY",
        "ADD_STEP",
    ]
    assert {m.requested_by["id"] for m in mods if m.requested_by} == {"grace"}
    lifecycle.transition_plan(db, plan_id, "cancel")


def test_deciding_and_auditing_from_the_command_line(
    db: Database, neo4j_target: Neo4jTarget
) -> None:
    spec = parse_spec(
        {
            "name": f"needs a yes {new_id()}",
            "requires_approval": True,
            "steps": [{"key": "GATE", "kind": "approval", "description": "ok?"}],
        }
    )
    plan_id = create_plan(db, spec).id
    listed = _cli(neo4j_target, "--help")  # the plan group answers
    assert listed.returncode == 0
    pending = subprocess.run(
        [sys.executable, "-m", "graphsvc", "decide"],
        env={**neo4j_env(neo4j_target), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pending.returncode == 0, pending.stderr
    [decision] = [d for d in decisions.list_decisions(db, "PENDING", 1000) if d.plan_id == plan_id]
    assert decision.id in pending.stdout

    def decide(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graphsvc", "decide", *args],
            env={**neo4j_env(neo4j_target), "USER": "grace"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert decide("approve", decision.id, "--start", "--comment", "fine").returncode == 0
    twice = decide("approve", decision.id)
    assert twice.returncode == 1 and "already APPROVED" in twice.stderr
    [gate] = [d for d in decisions.list_decisions(db, "PENDING", 1000) if d.plan_id == plan_id]
    assert decide("reject", gate.id, "--comment", "changed my mind").returncode == 0
    assert plans.get_plan(db, plan_id).status.value == "FAILED"

    audit = _cli(neo4j_target, "audit", plan_id)
    assert audit.returncode == 0, audit.stderr
    assert "APPROVES" in audit.stdout and "REJECTS" in audit.stdout and "grace" in audit.stdout


def test_the_status_tree_of_a_family_from_the_command_line(
    db: Database, neo4j_target: Neo4jTarget
) -> None:
    cap = new_id()
    split = {"kind": "subplan", "requires_capabilities": [cap]}
    plan_id = create_plan(
        db, parse_spec({"name": "parent", "steps": [{"key": "SPLIT", **split}]})
    ).id
    lifecycle.transition_plan(db, plan_id, "start")
    (step,) = work.claim(db, f"agent-{cap}", ["subplan"], [cap])
    child = parse_spec({"name": "the child", "steps": [{"key": "LEAF", **split}]})
    children.spawn(db, step["id"], step["lease_token"], [child])

    shown = _cli(neo4j_target, "status", plan_id)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    at = {
        name: next(i for i, line in enumerate(lines) if name in line)
        for name in ("parent", "SPLIT", "the child", "LEAF")
    }
    assert at["parent"] < at["SPLIT"] < at["the child"] < at["LEAF"]
    assert "WAITING" in lines[at["SPLIT"]]

    cut = _cli(neo4j_target, "status", plan_id, "--depth", "0")
    assert cut.returncode == 0 and "the child" not in cut.stdout
    assert "1 child plan(s) below the depth limit" in cut.stdout
    lifecycle.transition_plan(db, plan_id, "cancel")


def test_mcp_config_prints_each_clients_snippet() -> None:
    def config(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graphsvc", "mcp", "config", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    stdio = config()
    assert stdio.returncode == 0 and stdio.stdout.startswith("claude mcp add graphsvc --env")
    assert "-m graphsvc mcp --api http://127.0.0.1:8765" in stdio.stdout
    http = config("--transport", "http", "--api", "http://h:1")
    assert http.stdout.startswith("claude mcp add --transport http graphsvc http://h:1/mcp")
    assert "Authorization: Bearer" in http.stdout
    cursor = config("--transport", "http", "--client", "cursor")
    entry = json.loads(cursor.stdout.split("\n", 1)[1])["mcpServers"]["graphsvc"]
    assert entry["url"] == "http://127.0.0.1:8765/mcp" and "Authorization" in entry["headers"]
    desktop = config("--transport", "http", "--client", "claude-desktop")
    assert desktop.returncode == 1 and "--transport stdio" in desktop.stderr


def test_replanning_and_removing_a_step_from_the_command_line(
    db: Database, neo4j_target: Neo4jTarget, tmp_path: Path
) -> None:
    human = {"kind": "task", "description": "by hand", "requires_capabilities": [new_id()]}
    spec = parse_spec({"name": "v1", "steps": [{"key": "A", **human}, {"key": "B", **human}]})
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start")
    removed = _cli(neo4j_target, "remove-step", f"{plan_id}:B", "--reason", "not needed")
    assert removed.returncode == 0, removed.stderr
    assert [s.key for s in plans.get_plan(db, plan_id).steps] == ["A"]
    v2 = tmp_path / "v2.json"
    v2.write_text(json.dumps({"name": "v2", "steps": [{"key": "C", **human}]}))
    replanned = _cli(neo4j_target, "replan", plan_id, str(v2), "--reason", "simpler")
    assert replanned.returncode == 0, replanned.stderr
    assert f"supersedes {plan_id}" in replanned.stdout and "EXECUTING" in replanned.stdout
    assert plans.get_plan(db, plan_id).status.value == "SUPERSEDED"


def test_a_change_that_needs_approval_is_reported_as_requested(
    db: Database, neo4j_target: Neo4jTarget
) -> None:
    human = {"kind": "task", "description": "by hand", "requires_capabilities": [new_id()]}
    spec = parse_spec(
        {
            "name": "guarded",
            "modifications_require_approval": True,
            "steps": [{"key": "A", **human}],
        }
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start")
    asked = _cli(neo4j_target, "cancel-step", f"{plan_id}:A", "--reason", "maybe")
    assert asked.returncode == 0, asked.stderr
    assert "change requested" in asked.stdout and "graphsvc decide approve" in asked.stdout
    assert plans.get_plan(db, plan_id).steps[0].status.value == "READY"


def test_watching_a_plan_prints_its_events_until_it_ends(
    db: Database, neo4j_target: Neo4jTarget
) -> None:
    kind = f"watched-{new_id()[-8:]}"
    spec = parse_spec({"name": "watched", "steps": [{"key": "STEP_A", "kind": kind}]})
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start")
    [step] = work.claim(db, "watcher", [kind], [])
    work.complete(db, step["id"], step["lease_token"], {}, {})
    watched = _cli(neo4j_target, "watch", plan_id)
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert "PLAN_CREATED" in lines[0] and "PLAN_COMPLETED" in lines[-1]
    assert any("STEP_CLAIMED STEP_A READY -> ASSIGNED" in line for line in lines)


def test_a_plan_exports_as_mermaid_and_dot(db: Database, neo4j_target: Neo4jTarget) -> None:
    """The Mermaid export of examples/planner.md, checked for structure (mermaid's own
    parser needs a browser's DOM): one node per step, one arrow per dependency, every
    node's class a status's."""
    import re

    from graphsvc.domain import compile_tickets

    root = Path(__file__).resolve().parents[1]
    spec = compile_tickets((root / "examples" / "planner.md").read_text())
    plan_id = create_plan(db, spec).id
    mermaid = _cli(neo4j_target, "export", plan_id)
    assert mermaid.returncode == 0, mermaid.stderr
    lines = mermaid.stdout.splitlines()
    assert lines[1] == "flowchart TD"
    nodes = [re.fullmatch(r'  (s\d+)\["([^"]*)"\]:::(\w+)', line) for line in lines]
    nodes = [n for n in nodes if n]
    edges = [re.fullmatch(r"  (s\d+) --> (s\d+)", line) for line in lines]
    edges = [e for e in edges if e]
    assert len(nodes) == len(spec.steps)
    assert len(edges) == sum(len(step.depends_on) for step in spec.steps)
    names = {n[1] for n in nodes}
    assert all(e[1] in names and e[2] in names for e in edges)
    classes = {line.split()[1] for line in lines if line.startswith("  classDef ")}
    assert {n[3] for n in nodes} <= classes
    dot = _cli(neo4j_target, "export", plan_id, "--format", "dot")
    assert dot.returncode == 0 and dot.stdout.startswith('digraph "')
    assert dot.stdout.count(" -> ") == len(edges) and dot.stdout.rstrip().endswith("}")
    bad = _cli(neo4j_target, "export", plan_id, "--format", "png")
    assert bad.returncode != 0 and "mermaid or dot" in bad.stderr
