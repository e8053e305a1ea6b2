"""The crash test (issue 18), and the CLI finding a running serve (issue 31).

With default settings, `graphsvc serve` is killed with SIGKILL three times and a worker
once while a plan of 600 steps runs; the plan still COMPLETES, with every step COMPLETED
exactly once (one STEP_COMPLETED event each). Half the chains are `noop` steps
(completed in batches), half short `command` steps (started, heartbeated and completed
one by one), so both ways of reporting meet the crashes.

Everything runs as a user would run it: `graphsvc serve` with no API keys configured (so
with the local key, generated in its data folder) and two `graphsvc worker` processes
with their default slots, batch and lease, which find that key by themselves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphsvc.localdb import free_port
from graphsvc.localkey import read_local_key
from graphsvc.store import Database, Neo4jTarget
from tests.helpers import neo4j_env, wait_for

GRAPHSVC = [sys.executable, "-m", "graphsvc"]
CHAINS, LENGTH = 100, 6  # 600 steps: 100 chains of 6


class Processes:
    """The processes a test started, each in a process group of its own; all are killed
    at the end."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with (self.cwd / log).open("ab") as out:
            proc = subprocess.Popen(
                [*GRAPHSVC, *args],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def close(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def processes(neo4j_target: Neo4jTarget, tmp_path: Path) -> Iterator[Processes]:
    env = {**neo4j_env(neo4j_target), "GRAPHSVC_DATA_DIR": str(tmp_path / "data")}
    env.pop("GRAPHSVC_API_KEYS", None)
    env.pop("GRAPHSVC_API_KEY", None)
    procs = Processes(env, tmp_path)
    yield procs
    procs.close()


def _serve(procs: Processes, port: int) -> subprocess.Popen[bytes]:
    proc = procs.start("serve", "--port", str(port), log="serve.log")
    url = f"http://127.0.0.1:{port}/healthz"

    def answers() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, 60, "graphsvc serve to answer")
    return proc


@pytest.mark.slow
def test_a_plan_survives_three_server_kills_and_a_worker_kill(
    db: Database, processes: Processes, tmp_path: Path
) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    server = _serve(processes, port)
    key = read_local_key(tmp_path / "data")
    assert key, "graphsvc serve generated no local key"
    http = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    steps = [
        {
            "key": f"C{c}S{s}",
            "kind": "noop" if c % 2 else "command",
            "description": "" if c % 2 else "sleep 0.05",
            "depends_on": [f"C{c}S{s - 1}"] if s else [],
        }
        for c in range(CHAINS)
        for s in range(LENGTH)
    ]
    created = http.post("/v1/plans?start=true", json={"name": "crash", "steps": steps})
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    workers = [
        processes.start("worker", "--api", api, "--allow-commands", log=f"worker-{i}.log")
        for i in range(2)
    ]

    def completed() -> int:
        query = (
            "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s:ExecutionStep "
            "{status: 'COMPLETED'}) RETURN count(s) AS n"
        )
        return int(db.read(lambda tx: tx.run(query, id=plan_id).single(strict=True)["n"]))

    total = CHAINS * LENGTH
    for share, victim in ((0.1, "server"), (0.25, "worker"), (0.4, "server"), (0.6, "server")):
        wait_for(lambda share=share: completed() >= share * total, 180, f"{share:.0%} done")
        if victim == "worker":
            Processes.kill(workers[0])
        else:
            Processes.kill(server)
            server = _serve(processes, port)

    def finished() -> bool:
        status = db.read(
            lambda tx: tx.run(
                "MATCH (p:ExecutionPlan {id: $id}) RETURN p.status AS s", id=plan_id
            ).single(strict=True)["s"]
        )
        return status != "EXECUTING"

    wait_for(finished, 240, "the plan to finish")
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s:ExecutionStep) "
            "RETURN p.status AS plan, s.status AS status, "
            "COUNT { (:EventBatch)-[:RECORDS {type: 'STEP_COMPLETED'}]->(s) } AS completions",
            id=plan_id,
        ).data()
    )
    assert len(rows) == total
    assert {r["plan"] for r in rows} == {"COMPLETED"}
    assert {(r["status"], r["completions"]) for r in rows} == {("COMPLETED", 1)}


def test_the_cli_talks_to_the_running_serve(
    db: Database, processes: Processes, tmp_path: Path
) -> None:
    """Issue 31, item 3: ``graphsvc serve`` records where it listens in the data folder;
    a command given no ``--api`` talks to it (no API of its own), and the record goes
    when serve stops."""
    port = free_port()
    server = _serve(processes, port)
    record = tmp_path / "data" / "serve.json"
    assert json.loads(record.read_text())["url"] == f"http://127.0.0.1:{port}"
    key = read_local_key(tmp_path / "data")
    created = httpx.post(
        f"http://127.0.0.1:{port}/v1/plans",
        json={"name": "served", "steps": [{"key": "A", "kind": "noop"}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    env = {k: v for k, v in processes.env.items() if k != "GRAPHSVC_API_URL"}
    shown = subprocess.run(
        [*GRAPHSVC, "plan", "show", created["id"]],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    # The live page's address is printed only for an API that outlives the command.
    assert f"live picture: http://127.0.0.1:{port}/ui/plans/{created['id']}" in shown.stdout
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    assert not record.exists()
