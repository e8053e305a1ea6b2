"""``graphsvc serve`` (the REST API) and ``graphsvc worker`` (the built-in worker)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from prometheus_client import start_http_server

from graphsvc._errors import ApiUnreachable, GraphsvcError, NotFoundError
from graphsvc.cli._app import app
from graphsvc.cli._common import ApiKey, console, err_console, one_line_errors, resolve_id
from graphsvc.cli._serving import recorded_serve
from graphsvc.domain.states import PLAN_TERMINAL
from graphsvc.logs import configure_logging
from graphsvc.metrics import WorkerMetrics
from graphsvc.settings import Settings
from graphsvc.worker import ApiClient, ExecutorConfig, Worker

__all__ = ["AgentCmd", "AllowCommands", "Batch", "Slots"]

AllowCommands = Annotated[bool, typer.Option(help="Run [prog]/command steps as shell scripts.")]
AgentCmd = Annotated[
    str | None,
    typer.Option(
        envvar="GRAPHSVC_AGENT_CMD",
        help="Command that executes task steps (stdin: task JSON; stdout: the output).",
    ),
]
Slots = Annotated[int, typer.Option(min=1, max=256, help="Steps run at once.")]
Batch = Annotated[
    int,
    typer.Option(
        min=1,
        max=1000,
        help="Steps of real work a slot claims at once (run one after another).",
    ),
]
InstantBatch = Annotated[
    int,
    typer.Option(
        min=1,
        max=1000,
        help="Instant (noop) steps a slot claims at once; they are completed together in "
        "one request that also claims the next ones.",
    ),
]
Chain = Annotated[
    bool,
    typer.Option(
        help="Claim each step with its chain (the steps that can only run after it) and run "
        "them back to back (DESIGN.md section 2).",
    ),
]


@app.command("serve")
@one_line_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Default GRAPHSVC_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Default GRAPHSVC_PORT (8765).")] = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs). Every request needs an API key: those of
    GRAPHSVC_API_KEYS, else the local admin key, generated in the data folder on first
    start and read from there by the CLI on this machine."""
    import uvicorn

    from graphsvc.api.app import create_app
    from graphsvc.localkey import KEY_FILE

    settings = Settings()
    configure_logging(settings.log_format)
    host = host or settings.host
    app_ = create_app(settings)
    if not settings.api_keys:
        err_console.print(
            f"API key: the local admin key in {settings.data_dir / KEY_FILE} "
            "(set GRAPHSVC_API_KEYS for keys of your own)"
        )
    port = port or settings.port
    # The CLI on this machine finds this API there (cli._serving) instead of starting its own.
    neo4j = settings.neo4j_uri or ""
    # uvicorn raises SIGTERM again once it has shut down: exit through Python then, so
    # the record below is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with recorded_serve(settings.data_dir, host, port, not settings.api_keys, neo4j):
        # Open streams (the event stream, MCP sessions) get GRACE_SECONDS to end after
        # SIGTERM; then they are cut and the shutdown runs (MCP leases given back).
        uvicorn.run(
            app_, host=host, port=port, log_config=None, timeout_graceful_shutdown=GRACE_SECONDS
        )


@app.command("worker")
@one_line_errors
def worker_cmd(
    api: Annotated[
        str, typer.Option(envvar="GRAPHSVC_API_URL", help="API base URL.")
    ] = "http://127.0.0.1:8765",
    api_key: ApiKey = None,
    slots: Slots = 4,
    batch: Batch = 1,
    instant_batch: InstantBatch = 64,
    chain: Chain = True,
    allow_commands: AllowCommands = False,
    agent_cmd: AgentCmd = None,
    capability: Annotated[list[str] | None, typer.Option(help="A capability (repeatable).")] = None,
    lease_seconds: Annotated[
        float, typer.Option(min=1, help="Lease per claim; heartbeats renew it every third.")
    ] = 30.0,
    agent_id: Annotated[
        str | None,
        typer.Option(help="The agent it claims as (a worker key's own agent); default: new."),
    ] = None,
    plan: Annotated[
        list[str] | None,
        typer.Option(
            help="Run only this plan's steps and its child plans' (repeatable); the worker "
            "stops when every such plan has ended."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve the worker's Prometheus metrics on 127.0.0.1:PORT/metrics."),
    ] = None,
) -> None:
    """Run the built-in worker against an API until interrupted."""
    configure_logging(Settings().log_format)
    config = ExecutorConfig(allow_commands=allow_commands, agent_cmd=agent_cmd, workdir=Path.cwd())
    metrics = WorkerMetrics()

    instant = {"count": 0, "shown": time.monotonic()}

    def on_event(kind: str, step: dict[str, Any]) -> None:
        metrics.on_event(kind, step)
        if kind != "completed" or step["kind"] != "noop":
            console.print(f"{kind:9} {step['key']}")
            return
        # Instant steps complete by the thousand: a line a second says how many.
        instant["count"] += 1
        if time.monotonic() - instant["shown"] >= 1.0:
            console.print(f"completed {instant['count']} noop step(s)")
            instant.update(count=0, shown=time.monotonic())

    client = ApiClient(api, api_key)
    if plan:  # ids or unique prefixes; a plan that does not exist: one line, exit 1
        plan = [resolve_id(client, pid, "plan") for pid in plan]
        for pid in plan:
            with contextlib.suppress(ApiUnreachable):  # not up yet: its slots will wait
                client.get_plan(pid, all_steps=False)
    worker = Worker(
        client,
        config,
        slots=slots,
        agent_id=agent_id,
        plan_ids=plan,
        capabilities=capability or [],
        lease_seconds=lease_seconds,
        on_event=on_event,
        batch=batch,
        instant_batch=instant_batch,
        chain=chain,
    )
    try:
        who = f"worker {worker.agent_id}"
    except GraphsvcError:  # the API is not up yet: the slots ask again before they claim
        who = "worker (its agent is named once the API answers)"
    console.print(f"{who}: {slots} slot(s) on {api}")
    if metrics_port is not None:
        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
        console.print(f"metrics on http://127.0.0.1:{metrics_port}/metrics")
    if plan:
        threading.Thread(
            target=_stop_when_ended, args=(worker, plan), name="plans-ended", daemon=True
        ).start()
    worker.run()  # until SIGINT or SIGTERM; then it finishes the steps it holds


# How long ``graphsvc serve`` lets open streams run after SIGTERM before it cuts them.
GRACE_SECONDS = 5

# How often ``graphsvc worker --plan`` asks whether its plans have ended.
PLAN_CHECK_SECONDS = 2.0


def _stop_when_ended(worker: Worker, plan_ids: list[str]) -> None:
    """``graphsvc worker --plan ID``: stop the worker once every plan it runs has ended
    (its child plans end before it does)."""
    while True:
        time.sleep(PLAN_CHECK_SECONDS)
        try:
            statuses = [worker.client.get_plan(pid, all_steps=False).status for pid in plan_ids]
        except NotFoundError:
            console.print(f"plan(s) {', '.join(plan_ids)}: one no longer exists; the worker stops")
            worker.request_stop()
            return
        except GraphsvcError:
            continue  # the API is away: ask again later
        if all(status in PLAN_TERMINAL for status in statuses):
            console.print(f"plan(s) {', '.join(plan_ids)} ended: the worker stops")
            worker.request_stop()
            return
