"""The examples run as their docstrings say, against a real API and Neo4j."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import KEYS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, **env: str) -> str:
    """Run an example with these environment variables; its stdout (exit 0 asserted)."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_sdk_example_works_its_plan_to_the_end(live_api: str) -> None:
    # One key both creates the plan (a coordinator's right) and claims (a worker's): an
    # admin key, as the local key on a user's machine is.
    out = _run("sdk_worker.py", GRAPHSVC_API_URL=live_api, GRAPHSVC_API_KEY=KEYS["admin"])
    lines = out.splitlines()
    assert lines[0].endswith(": COMPLETED")
    report = next(line for line in lines if line.strip().startswith("REPORT"))
    assert "34 words; most used: graph (2), steps (2), step (2)" in report


def test_the_mcp_agents_example_runs_its_living_plan_to_the_end(live_api: str) -> None:
    out = _run(
        "mcp_agents.py",
        GRAPHSVC_API_URL=live_api,
        GRAPHSVC_COORDINATOR_KEY=KEYS["coordinator"],
        GRAPHSVC_WORKER_KEYS=f"{KEYS['worker']},{KEYS['worker']}",
    )
    assert "refused: " in out and "(not_found)" in out and "replanned as" in out
    assert "cycle" in out
    last = [line for line in out.splitlines() if ": COMPLETED (" in line]
    assert last, out
