"""What the built-in worker does with each kind of step (DESIGN.md section 3).

``noop`` completes at once. ``command`` runs its body with ``bash -e`` (only
when commands are allowed) in the working directory, with the step's timeout;
exit 0 completes it, stdout and stderr (the last 16 KiB of each) go in its
outputs. ``task`` and ``synthesize`` run the configured agent command with the
task text and the upstream outputs as JSON on stdin; its stdout is the
output. A step's ``validate`` command runs after its own work; a non-zero
exit fails the attempt. The environment of both carries ``GRAPHSVC_STEP_KEY``,
``GRAPHSVC_PLAN_ID`` and ``GRAPHSVC_PRIOR_WORK`` (JSON).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ExecutorConfig", "StepFailed", "execute", "handled_kinds"]

OUTPUT_LIMIT = 16 * 1024


class StepFailed(Exception):
    """An attempt failed; ``retryable`` says whether another attempt may help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class ExecutorConfig:
    allow_commands: bool = False
    agent_cmd: str | None = None
    workdir: Path = Path(".")
    default_timeout: float = 3600.0


def handled_kinds(config: ExecutorConfig) -> list[str]:
    """The step kinds this configuration can execute (others are left for other agents)."""
    kinds = ["noop"]
    if config.allow_commands:
        kinds.append("command")
    if config.agent_cmd:
        kinds += ["task", "synthesize"]
    return kinds


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else "...(truncated)\n" + text[-OUTPUT_LIMIT:]


def _run(
    argv: list[str],
    step: dict[str, Any],
    config: ExecutorConfig,
    what: str,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    timeout = step.get("timeout_seconds") or config.default_timeout
    env = {
        **os.environ,
        "GRAPHSVC_STEP_KEY": step["key"],
        "GRAPHSVC_PLAN_ID": step["plan_id"],
        "GRAPHSVC_PRIOR_WORK": json.dumps(step.get("prior_work", []), default=str),
    }
    try:
        return subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=config.workdir,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{what} timed out after {timeout:g} s") from None
    except OSError as exc:
        raise StepFailed(f"{what} could not start: {exc}", retryable=False) from None


def _command(step: dict[str, Any], config: ExecutorConfig) -> dict[str, Any]:
    proc = _run(["bash", "-e", "-c", step["description"]], step, config, "command")
    outputs = {
        "exit_code": proc.returncode,
        "stdout": _tail(proc.stdout),
        "stderr": _tail(proc.stderr),
    }
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [""]
        raise StepFailed(f"command exited with code {proc.returncode}: {last[0][:300]}")
    return outputs


def _agent(step: dict[str, Any], config: ExecutorConfig) -> dict[str, Any]:
    assert config.agent_cmd is not None
    payload = json.dumps(
        {
            "task": step["description"],
            "name": step["name"],
            "inputs": step.get("inputs", {}),
            "prior_work": step.get("prior_work", []),
        },
        default=str,
    )
    proc = _run(shlex.split(config.agent_cmd), step, config, "agent command", stdin=payload)
    if proc.returncode != 0:
        raise StepFailed(
            f"agent command exited with code {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    return {"text": _tail(proc.stdout)}


def execute(step: dict[str, Any], config: ExecutorConfig) -> dict[str, Any]:
    """Run one claimed step; returns its outputs or raises ``StepFailed``."""
    kind = step["kind"]
    if kind == "noop":
        outputs: dict[str, Any] = {}
    elif kind == "command" and config.allow_commands:
        outputs = _command(step, config)
    elif kind in ("task", "synthesize") and config.agent_cmd:
        outputs = _agent(step, config)
    else:
        raise StepFailed(f"this worker cannot run {kind!r} steps", retryable=True)
    if step.get("validate_command"):
        proc = _run(["bash", "-c", step["validate_command"]], step, config, "validate")
        if proc.returncode != 0:
            raise StepFailed(
                f"validate command failed with exit code {proc.returncode}: "
                f"{step['validate_command']}"
            )
    return outputs
