"""The command executor's process handling, without Neo4j: each step in a process group of
its own, killed whole on timeout and on cancellation (issue 18)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from graphsvc.worker.executors import ExecutorConfig, StepFailed, execute
from tests.helpers import process_gone


def _step(body: str, timeout: float | None = None) -> dict[str, Any]:
    return {
        "id": "s1",
        "key": "S",
        "kind": "command",
        "name": "S",
        "description": body,
        "plan_id": "p1",
        "timeout_seconds": timeout,
    }


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return False


BACKGROUND = "ps -o pgid= $$ > group; sleep 300 & echo $! > child.pid; sleep 300"


def test_a_timed_out_command_is_killed_with_everything_it_started(tmp_path: Path) -> None:
    config = ExecutorConfig(allow_commands=True, workdir=tmp_path)
    began = time.monotonic()
    with pytest.raises(StepFailed, match="timed out after 1 s"):
        execute(_step(BACKGROUND, timeout=1), config)
    assert time.monotonic() - began < 10
    child = int((tmp_path / "child.pid").read_text())
    assert _wait_gone(child), "the step's background child survived its timeout"


def test_a_cancelled_command_is_killed_at_once(tmp_path: Path) -> None:
    config = ExecutorConfig(allow_commands=True, workdir=tmp_path)
    cancelled = threading.Event()
    threading.Timer(0.5, cancelled.set).start()
    began = time.monotonic()
    with pytest.raises(StepFailed, match="cancelled"):
        execute(_step(BACKGROUND, timeout=600), config, cancelled)
    assert time.monotonic() - began < 10
    child = int((tmp_path / "child.pid").read_text())
    assert _wait_gone(child)
    # The step ran in a process group of its own, not in the worker's.
    assert int((tmp_path / "group").read_text()) != os.getpgid(0)


def test_a_command_that_finishes_reports_its_output(tmp_path: Path) -> None:
    config = ExecutorConfig(allow_commands=True, workdir=tmp_path)
    result = execute(_step("echo hello; echo oops >&2"), config)
    assert result.outputs == {"exit_code": 0, "stdout": "hello\n", "stderr": "oops\n"}  # type: ignore[union-attr]
