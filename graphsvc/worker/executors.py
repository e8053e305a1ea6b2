"""What the built-in worker does with each kind of step (DESIGN.md section 3).

``noop`` completes at once. ``command`` runs its body with ``bash -e`` (only
when commands are allowed) in the working directory, with the step's timeout;
exit 0 completes it, stdout and stderr (the last 16 KiB of each) go in its
outputs. ``task`` and ``synthesize`` run the configured agent command with the
task text and the upstream outputs as JSON on stdin; its stdout is the
output. A step's ``validate`` command runs after its own work; a non-zero
exit fails the attempt. The environment of both carries ``GRAPHSVC_STEP_KEY``,
``GRAPHSVC_PLAN_ID`` and ``GRAPHSVC_PRIOR_WORK`` (JSON), and
``GRAPHSVC_CHANGESET_FILE``: a JSON object written there becomes the step's
changeset.

``planner`` runs the agent command (or, with commands allowed, its body as a
script) and compiles the output as a ticket file into a child plan;
``subplan`` spawns the child plans of its inputs (``plans``: JSON specs,
``tickets``: ticket texts, ``max_parallel``). Both answer ``Spawn``.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphsvc._errors import ValidationFailed
from graphsvc.domain.children import parse_children
from graphsvc.domain.compiler import compile_tickets
from graphsvc.worker._orphans import watchdog

if TYPE_CHECKING:
    from graphsvc.worker.context import StepContext

__all__ = [
    "Builtin",
    "Done",
    "ExecutorConfig",
    "Spawn",
    "StepFailed",
    "builtin_handlers",
    "execute",
    "handled_kinds",
    "validate",
]

SUMMARY_CHARS = 200
KILL_GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL of a step's process group
_POLL_SECONDS = 0.1  # how often a running process is checked for cancellation

OUTPUT_LIMIT = 16 * 1024


class StepFailed(Exception):
    """An attempt failed; ``retryable`` says whether another attempt may help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class Done:
    """A finished attempt: what to report with ``complete``."""

    outputs: dict[str, Any]
    changeset: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spawn:
    """An attempt that hands its work to child plans (``subplans``)."""

    plans: list[dict[str, Any]]
    max_parallel: int = 1
    summary: str | None = None


@dataclass(frozen=True)
class ExecutorConfig:
    allow_commands: bool = False
    agent_cmd: str | None = None
    workdir: Path = Path(".")
    default_timeout: float = 3600.0


def handled_kinds(config: ExecutorConfig) -> list[str]:
    """The step kinds this configuration can execute (others are left for other agents)."""
    return list(builtin_handlers(config))


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else "...(truncated)\n" + text[-OUTPUT_LIMIT:]


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the process group ``proc`` leads, SIGKILL it after ``KILL_GRACE_SECONDS``:
    everything the step started goes, not only its shell."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        if grace is None:
            return
        try:
            proc.wait(grace)
            # The leader is gone; children that ignored SIGTERM may not be.
        except subprocess.TimeoutExpired:
            continue


def _supervise(
    argv: list[str],
    stdin: str | None,
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    cancelled: threading.Event,
) -> tuple[subprocess.CompletedProcess[str] | None, str | None]:
    """Run ``argv`` in a process group of its own; kill the group on ``timeout`` or when
    ``cancelled`` is set, and (``worker._orphans``) when this worker ends first. Returns
    (the finished process, None) or (None, why it was killed)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    watchdog.started(proc.pid)  # its group dies with this worker, SIGKILL included
    try:
        return _wait(proc, argv, stdin, timeout, cancelled)
    finally:
        watchdog.ended(proc.pid)


def _wait(
    proc: subprocess.Popen[str],
    argv: list[str],
    stdin: str | None,
    timeout: float,
    cancelled: threading.Event,
) -> tuple[subprocess.CompletedProcess[str] | None, str | None]:
    outputs: dict[str, str] = {}
    reader = threading.Thread(
        target=lambda: outputs.update(
            zip(("stdout", "stderr"), proc.communicate(stdin), strict=True)
        ),
        daemon=True,
    )
    reader.start()
    deadline = time.monotonic() + timeout
    why = None
    while reader.is_alive():
        reader.join(_POLL_SECONDS)
        if not reader.is_alive():
            break
        if cancelled.is_set():
            why = "cancelled: the step's lease was revoked or lost"
        elif time.monotonic() >= deadline:
            why = f"timed out after {timeout:g} s"
        if why:
            _kill_group(proc)
            reader.join(KILL_GRACE_SECONDS)
            return None, why
    done = subprocess.CompletedProcess(
        argv, proc.returncode, outputs.get("stdout", ""), outputs.get("stderr", "")
    )
    return done, None


def _run(
    argv: list[str],
    step: dict[str, Any],
    config: ExecutorConfig,
    what: str,
    stdin: str | None = None,
    changeset_file: Path | None = None,
    cancelled: threading.Event | None = None,
) -> subprocess.CompletedProcess[str]:
    timeout = step.get("timeout_seconds") or config.default_timeout
    env = {
        **os.environ,
        "GRAPHSVC_CHANGESET_FILE": str(changeset_file or os.devnull),
        "GRAPHSVC_STEP_KEY": step["key"],
        "GRAPHSVC_PLAN_ID": step["plan_id"],
        "GRAPHSVC_PRIOR_WORK": json.dumps(step.get("prior_work", []), default=str),
    }
    try:
        proc, why = _supervise(
            argv, stdin, env, config.workdir, timeout, cancelled or threading.Event()
        )
    except OSError as exc:
        raise StepFailed(f"{what} could not start: {exc}", retryable=False) from None
    if proc is None:
        raise StepFailed(f"{what} {why}")
    return proc


def _command(
    step: dict[str, Any],
    config: ExecutorConfig,
    changeset_file: Path | None = None,
    cancelled: threading.Event | None = None,
) -> dict[str, Any]:
    proc = _run(
        ["bash", "-e", "-c", step["description"]],
        step,
        config,
        "command",
        None,
        changeset_file,
        cancelled,
    )
    outputs = {
        "exit_code": proc.returncode,
        "stdout": _tail(proc.stdout),
        "stderr": _tail(proc.stderr),
    }
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [""]
        raise StepFailed(f"command exited with code {proc.returncode}: {last[0][:300]}")
    return outputs


def _agent(
    step: dict[str, Any],
    config: ExecutorConfig,
    changeset_file: Path | None = None,
    cancelled: threading.Event | None = None,
) -> dict[str, Any]:
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
    proc = _run(
        shlex.split(config.agent_cmd),
        step,
        config,
        "agent command",
        payload,
        changeset_file,
        cancelled,
    )
    if proc.returncode != 0:
        raise StepFailed(
            f"agent command exited with code {proc.returncode}: {proc.stderr.strip()[-300:]}"
        )
    return {"text": _tail(proc.stdout)}


def _read_changeset(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        return {}
    try:
        changeset = json.loads(text)
    except ValueError as exc:
        raise StepFailed(f"GRAPHSVC_CHANGESET_FILE is not JSON: {exc}", retryable=False) from None
    if not isinstance(changeset, dict):
        raise StepFailed("GRAPHSVC_CHANGESET_FILE must hold a JSON object", retryable=False)
    return changeset


def _planner(step: dict[str, Any], config: ExecutorConfig, cancelled: threading.Event) -> Spawn:
    """DESIGN.md section 3: the planner's output is a ticket file, compiled into a child."""
    if config.agent_cmd:
        text = _agent(step, config, None, cancelled)
    else:
        text = _command(step, config, None, cancelled)
    output = str(text.get("text", text.get("stdout", "")))
    if not output.strip():
        raise StepFailed("Planner produced empty output")
    try:
        spec = compile_tickets(output, default_name=step["name"])
    except ValidationFailed as exc:
        raise StepFailed(f"{exc}; output began: {output[:SUMMARY_CHARS]!r}") from None
    return Spawn(
        [spec.model_dump(mode="json", by_alias=True)],
        int(step.get("inputs", {}).get("max_parallel", 1)),
        output[:SUMMARY_CHARS],
    )


def _subplan(step: dict[str, Any]) -> Spawn:
    inputs = step.get("inputs") or {}
    try:
        specs = parse_children(
            list(inputs.get("plans", [])), list(inputs.get("tickets", [])), step["name"]
        )
    except ValidationFailed as exc:
        raise StepFailed(f"the child plans in its inputs are invalid: {exc}", False) from None
    return Spawn(
        [s.model_dump(mode="json", by_alias=True) for s in specs],
        int(inputs.get("max_parallel", 1)),
    )


def validate(step: dict[str, Any], config: ExecutorConfig, cancelled: threading.Event) -> None:
    """Run the step's ``validate`` command, if it has one, after its own work (DESIGN.md
    section 3); ``StepFailed`` when it exits non-zero."""
    if not step.get("validate_command"):
        return
    proc = _run(
        ["bash", "-c", step["validate_command"]], step, config, "validate", None, None, cancelled
    )
    if proc.returncode != 0:
        raise StepFailed(
            f"validate command failed with exit code {proc.returncode}: {step['validate_command']}"
        )


def _with_changeset(
    work: Callable[[dict[str, Any], ExecutorConfig, Path, threading.Event], dict[str, Any]],
) -> Callable[[StepContext, ExecutorConfig], dict[str, Any]]:
    """A handler that runs ``work`` with a GRAPHSVC_CHANGESET_FILE of its own and puts
    what the process wrote there into ``ctx.changeset``."""

    def handler(ctx: StepContext, config: ExecutorConfig) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="graphsvc-step-") as scratch:
            changeset_file = Path(scratch) / "changeset.json"
            outputs = work(ctx.step.as_dict(), config, changeset_file, ctx.cancel_event)
            ctx.changeset.update(_read_changeset(changeset_file))
        return outputs

    return handler


def builtin_handlers(config: ExecutorConfig) -> dict[str, Builtin]:
    """The built-in executors this configuration enables, by kind (DESIGN.md section 3):
    ``noop`` and ``subplan`` always, ``command`` with commands allowed, ``task`` and
    ``synthesize`` with an agent command, ``planner`` with either. The worker registers
    them as it registers any handler."""
    handlers: dict[str, Builtin] = {
        "noop": Builtin(lambda ctx: {}, instant=True),
        "subplan": Builtin(lambda ctx: _subplan(ctx.step.as_dict())),
    }
    if config.allow_commands:
        command = _with_changeset(_command)
        handlers["command"] = Builtin(lambda ctx: command(ctx, config))
    if config.agent_cmd:
        agent = _with_changeset(_agent)
        handlers["task"] = Builtin(lambda ctx: agent(ctx, config))
        handlers["synthesize"] = Builtin(lambda ctx: agent(ctx, config))
    if config.agent_cmd or config.allow_commands:
        handlers["planner"] = Builtin(
            lambda ctx: _planner(ctx.step.as_dict(), config, ctx.cancel_event)
        )
    return handlers


@dataclass(frozen=True)
class Builtin:
    """A built-in handler; ``instant`` ones (``noop``) complete at once with no outputs,
    so the worker completes them in batches instead of starting each."""

    run: Callable[[StepContext], dict[str, Any] | Spawn]
    instant: bool = False


def execute(
    step: dict[str, Any], config: ExecutorConfig, cancelled: threading.Event | None = None
) -> Done | Spawn:
    """Run one claimed step (as the claim's JSON) with the built-in executors, outside a
    worker; returns its result (or the children it spawns), or raises ``StepFailed``.
    Processes run in a process group of their own, killed on the step's timeout or as
    soon as ``cancelled`` is set (its lease was revoked or lost)."""
    from graphsvc.worker.context import ClaimedStep, Lease, StepContext

    handler = builtin_handlers(config).get(step["kind"])
    if handler is None:
        raise StepFailed(f"this worker cannot run {step['kind']!r} steps", retryable=True)
    lease = Lease(ClaimedStep.from_api({"lease_token": "", **step}), 60.0)
    if cancelled is not None:
        lease.lost = cancelled
    ctx = StepContext(lease, None, config.workdir, 60.0)  # type: ignore[arg-type]
    result = handler.run(ctx)
    validate(step, config, lease.lost)
    return result if isinstance(result, Spawn) else Done(result, ctx.changeset)
