"""The built-in worker as real processes against a real API and Neo4j: a worker killed
mid-step loses its lease and another reruns the step; long-poll claims; `graphsvc run`
with its exit codes and the agent command path."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle
from graphsvc.engine.lifecycle import list_events
from graphsvc.engine.plans import create_plan
from graphsvc.store import Database, Neo4jTarget, plans
from tests.helpers import KEYS, auth, neo4j_env, process_gone, wait_for

GRAPHSVC = [sys.executable, "-m", "graphsvc"]


@pytest.fixture
def worker_processes(live_api: str) -> Iterator[list[subprocess.Popen[str]]]:
    """Started worker processes (each in its own process group), all killed at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _start_worker(
    live_api: str,
    cwd: Path,
    started: list[subprocess.Popen[str]],
    *args: str,
    capture: bool = False,
) -> subprocess.Popen[str]:
    """``graphsvc worker`` with a worker key against ``live_api``, with ``args`` (by
    default: commands allowed, one slot, 2 s leases); ``capture``: its output in a pipe."""
    proc = subprocess.Popen(
        [
            *GRAPHSVC,
            "worker",
            "--api",
            live_api,
            *(args or ("--allow-commands", "--slots", "1", "--lease-seconds", "2")),
        ],
        cwd=cwd,
        env={**os.environ, "GRAPHSVC_API_KEY": KEYS["worker"]},
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    started.append(proc)
    return proc


def test_a_killed_worker_loses_its_lease_and_another_worker_reruns_the_step(
    db: Database, live_api: str, worker_processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    # The first attempt marks its start and hangs; the second finishes at once.
    body = "if [ -e first-attempt ]; then echo second; else touch first-attempt; sleep 600; fi"
    spec = parse_spec(
        {
            "name": "killed worker",
            "steps": [
                {"key": "WORK", "kind": "command", "description": body, "max_retries": 2},
                {"key": "AFTER", "kind": "noop", "depends_on": ["WORK"]},
            ],
        }
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    first = _start_worker(live_api, tmp_path, worker_processes)
    wait_for((tmp_path / "first-attempt").exists, 30, "the first attempt to start")

    os.killpg(first.pid, signal.SIGKILL)  # the worker and its shell die without a word
    first.wait(10)
    _start_worker(live_api, tmp_path, worker_processes)
    wait_for(lambda: plans.get_plan(db, plan_id).status.value == "COMPLETED", 60, "plan COMPLETED")

    work_step = next(s for s in plans.get_plan(db, plan_id).steps if s.key == "WORK")
    # Losing the worker is not the step's failure: a lease lost, no retry spent.
    assert work_step.retry_count == 0 and work_step.lease_losses == 1
    assert json.loads(json.dumps(work_step.outputs))["stdout"].strip() == "second"
    kinds = [(e.type, e.message) for e in list_events(db, plan_id) if e.step_id == work_step.id]
    assert [k for k, _ in kinds if k in ("STEP_LEASE_EXPIRED", "STEP_RETRY_SCHEDULED")] == [
        "STEP_LEASE_EXPIRED"
    ]
    assert sum(1 for k, _ in kinds if k == "STEP_CLAIMED") == 2


def test_a_long_poll_claim_waits_for_work_and_returns_when_it_appears(
    db: Database, live_api: str
) -> None:
    spec = parse_spec(
        {
            "name": "long poll",
            "steps": [{"key": "S", "kind": "synthesize", "description": "sum up"}],
        }
    )
    plan_id = create_plan(db, spec).id
    body = {"agent_id": "poller", "kinds": ["synthesize"], "wait_seconds": 10}
    with httpx.Client(base_url=live_api, headers=auth("admin"), timeout=30) as http:  # any agent
        began = time.monotonic()
        with _in_background(lambda: lifecycle.transition_plan(db, plan_id, "start"), 1.0):
            steps = http.post("/v1/steps/claim", json=body).json()["steps"]
        waited = time.monotonic() - began
        assert [s["plan_id"] for s in steps] == [plan_id]
        assert 0.9 <= waited < 10

        began = time.monotonic()
        empty = http.post(
            "/v1/steps/claim",
            json={"agent_id": "poller", "kinds": ["approval"], "wait_seconds": 1.5},
        ).json()
        assert empty == {"steps": []} and time.monotonic() - began >= 1.5
    lifecycle.transition_plan(db, plan_id, "cancel")


@contextmanager
def _in_background(fn: Callable[[], object], delay: float) -> Iterator[None]:
    """Run ``fn`` in a thread after ``delay`` seconds; join it on exit."""

    def later() -> None:
        time.sleep(delay)
        fn()

    thread = threading.Thread(target=later)
    thread.start()
    try:
        yield
    finally:
        thread.join(30)


AGENT = textwrap.dedent(
    """
    import json, sys
    job = json.load(sys.stdin)
    done = [w["key"] for w in job["prior_work"]]
    print(f"{job['name']} after {','.join(sorted(done)) or 'nothing'}")
    """
)


def _run(
    target: Neo4jTarget, cwd: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GRAPHSVC, "run", *args],
        cwd=cwd,
        env={**neo4j_env(target), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _plan_id(stdout: str) -> str:
    match = re.search(r"plan (\S+): ", stdout)
    assert match, stdout
    return match.group(1)


def test_graphsvc_run_completes_a_plan_with_the_agent_command(
    db: Database, neo4j_target: Neo4jTarget, tmp_path: Path
) -> None:
    (tmp_path / "agent.py").write_text(AGENT)
    (tmp_path / "plan.md").write_text(
        textwrap.dedent(
            """
            # Agents
            ---
            # A: Research [agent]
            Find things.
            ---
            # B: Also research [agent]
            Find more.
            ---
            # C: Report [agent/synthesize]
            blocked_by: [A, B]
            Write it up.
            ---
            # D: Check [prog]
            blocked_by: [C]
            echo checked
            """
        )
    )
    proc = _run(neo4j_target, tmp_path, "plan.md", "--agent-cmd", f"{sys.executable} agent.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "will be retried" not in proc.stderr  # the driver's retries are not shown
    plan = plans.get_plan(db, _plan_id(proc.stdout))
    assert re.search(
        rf"live picture: http://127\.0\.0\.1:\d+/ui/plans/{plan.id}#key=\S+", proc.stdout
    )
    outputs = {s.key: s.outputs for s in plan.steps}
    assert plan.status.value == "COMPLETED"
    assert outputs["A"] == {"text": "Research after nothing\n"}
    assert outputs["C"] == {"text": "Report after A,B\n"}
    assert outputs["D"] is not None and outputs["D"]["stdout"] == "checked\n"


def test_graphsvc_run_exits_1_when_the_plan_fails_and_names_the_error(
    db: Database, neo4j_target: Neo4jTarget, tmp_path: Path
) -> None:
    (tmp_path / "plan.json").write_text(
        json.dumps(
            {
                "name": "fails",
                "steps": [
                    {
                        "key": "BAD",
                        "kind": "command",
                        "description": "echo broken >&2; exit 3",
                        "max_retries": 0,
                    },
                    {"key": "NEVER", "kind": "noop", "depends_on": ["BAD"]},
                ],
            }
        )
    )
    proc = _run(neo4j_target, tmp_path, "plan.json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "exited with code 3: broken" in proc.stdout + proc.stderr
    plan = plans.get_plan(db, _plan_id(proc.stdout))
    assert plan.status.value == "FAILED"
    assert {s.key: s.status.value for s in plan.steps} == {"BAD": "FAILED", "NEVER": "CANCELLED"}


def test_graphsvc_run_exits_2_on_an_invalid_plan_and_stores_nothing(
    db: Database, neo4j_target: Neo4jTarget, tmp_path: Path
) -> None:
    (tmp_path / "cycle.json").write_text(
        json.dumps(
            {
                "name": "cycle-run-test",
                "steps": [
                    {"key": "A", "kind": "noop", "depends_on": ["B"]},
                    {"key": "B", "kind": "noop", "depends_on": ["A"]},
                ],
            }
        )
    )
    proc = _run(neo4j_target, tmp_path, "cycle.json", timeout=60)
    assert proc.returncode == 2
    assert "cycle" in proc.stderr and "Traceback" not in proc.stderr
    stored = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {name: 'cycle-run-test'}) RETURN count(p) AS n"
        ).single(strict=True)["n"]
    )
    assert stored == 0


def test_graphsvc_run_leaves_other_plans_steps_alone(
    db: Database, neo4j_target: Neo4jTarget, tmp_path: Path
) -> None:
    """Another plan's READY command step is in the database: `graphsvc run` executes only
    the plan it submitted, not that step (it would run a stranger's shell script here)."""
    marker = tmp_path / "stranger-ran"
    spec = parse_spec(
        {
            "name": "a stranger's plan",
            "steps": [{"key": "EVIL", "kind": "command", "description": f"touch {marker}"}],
        }
    )
    stranger = create_plan(db, spec).id
    lifecycle.transition_plan(db, stranger, "start", actor="test")
    (tmp_path / "mine.json").write_text(
        json.dumps(
            {"name": "mine", "steps": [{"key": "A", "kind": "command", "description": "true"}]}
        )
    )
    try:
        proc = _run(neo4j_target, tmp_path, "mine.json")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not marker.exists()
        [evil] = plans.get_plan(db, stranger).steps
        assert evil.status.value == "READY"
    finally:
        lifecycle.transition_plan(db, stranger, "cancel", actor="test")


def test_cancelling_a_running_command_step_kills_its_processes(
    db: Database, live_api: str, worker_processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    """The worker learns of the cancel at its next heartbeat (409) and kills the step's
    process group: the shell and what it started in the background."""
    body = "sleep 300 & echo $! > child.pid; sleep 300"
    spec = parse_spec(
        {"name": "cancel me", "steps": [{"key": "LONG", "kind": "command", "description": body}]}
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    _start_worker(live_api, tmp_path, worker_processes)
    wait_for((tmp_path / "child.pid").exists, 30, "the step to start its child")
    time.sleep(0.2)
    child = int((tmp_path / "child.pid").read_text())
    [step] = plans.get_plan(db, plan_id).steps
    answer = httpx.post(
        f"{live_api}/v1/steps/{step.id}/cancel",
        json={"reason": "not needed"},
        headers=auth("coordinator"),
    )
    assert answer.status_code == 200, answer.text

    wait_for(lambda: process_gone(child), 15, "the step's background child to be killed")


def test_the_worker_serves_its_own_metrics(
    db: Database, live_api: str, worker_processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    from graphsvc.localdb import free_port

    spec = parse_spec(
        {
            "name": "metered worker",
            "steps": [{"key": "A", "kind": "noop"}, {"key": "B", "kind": "noop"}],
        }
    )
    plan_id = create_plan(db, spec).id
    port = free_port()
    _start_worker(
        live_api, tmp_path, worker_processes, "--plan", plan_id, "--metrics-port", str(port)
    )
    lifecycle.transition_plan(db, plan_id, "start")
    wait_for(lambda: plans.get_plan(db, plan_id).status.value == "COMPLETED", 60, "the plan")

    def completed() -> float:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.TransportError:
            return 0.0
        found = re.search(
            r'graphsvc_worker_steps_total\{kind="noop",outcome="completed"\} (\S+)', text
        )
        return float(found[1]) if found else 0.0

    wait_for(lambda: completed() == 2.0, 30, "the worker's metrics")


def test_a_worker_killed_with_sigkill_leaves_no_process_of_its_command(
    db: Database, live_api: str, worker_processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    """Issue 30, item 5: the command's process group dies with its worker (the worker's
    watchdog, ``worker._orphans``): after a SIGKILL of the worker alone (not its group)
    during a 30-second command, no process of the command is left 2 s later, so the
    step's next attempt elsewhere does not run beside it."""
    body = "sleep 30 & echo $! > child.pid; echo $$ > shell.pid; sleep 30"
    spec = parse_spec(
        {"name": "orphans", "steps": [{"key": "LONG", "kind": "command", "description": body}]}
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    worker = _start_worker(live_api, tmp_path, worker_processes)
    wait_for((tmp_path / "shell.pid").exists, 30, "the command to start")
    time.sleep(0.2)
    pids = [int((tmp_path / f).read_text()) for f in ("child.pid", "shell.pid")]
    assert not any(process_gone(pid) for pid in pids)
    os.kill(worker.pid, signal.SIGKILL)  # the worker alone: its command is in its own group
    worker.wait(10)
    time.sleep(2.0)
    assert all(process_gone(pid) for pid in pids), "a process of the command outlived its worker"


def test_a_worker_for_one_plan_stops_when_the_plan_ends(
    db: Database, live_api: str, worker_processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    """Issue 31, item 5: ``graphsvc worker --plan ID`` ends with its plan, and a good
    completion draws no warning of a lost lease."""
    spec = parse_spec(
        {
            "name": "one plan",
            "steps": [
                {"key": "SLOW", "kind": "command", "description": "sleep 2.5"},
                {"key": "AFTER", "kind": "noop", "depends_on": ["SLOW"]},
            ],
        }
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    args = ("--allow-commands", "--plan", plan_id, "--lease-seconds", "3")
    proc = _start_worker(live_api, tmp_path, worker_processes, *args, capture=True)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert plans.get_plan(db, plan_id).status.value == "COMPLETED"
    assert "ended: the worker stops" in output
    assert "is gone" not in output, output
