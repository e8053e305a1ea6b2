"""``graphsvc run FILE`` (the main job) and ``graphsvc compile FILE``."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graphsvc.cli._app import app
from graphsvc.cli._common import (
    Api,
    ApiKey,
    api_client,
    console,
    fail,
    one_line_errors,
    read_plan,
)
from graphsvc.cli._render import family_tree, spec_table
from graphsvc.cli.serve import AgentCmd, Batch, Chain, InstantBatch, Slots
from graphsvc.domain import PLAN_TERMINAL, PlanPublic, PlanStatus
from graphsvc.domain.models import StatusTree
from graphsvc.worker import ApiClient, ExecutorConfig, Worker


@app.command("compile")
@one_line_errors
def compile_cmd(file: Path) -> None:
    """Validate a plan file and print its steps; every problem otherwise (exit 2)."""
    console.print(spec_table(read_plan(file)))


@app.command("run")
@one_line_errors
def run_cmd(
    file: Path,
    slots: Slots = 4,
    batch: Batch = 1,
    instant_batch: InstantBatch = 64,
    chain: Chain = True,
    allow_commands: Annotated[
        bool, typer.Option(help="Run [prog] steps (your own file: on by default).")
    ] = True,
    agent_cmd: AgentCmd = None,
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Compile, submit and start a plan, execute it with local workers, show progress and the
    final tree. The workers run only this plan's steps and its child plans', never another
    plan's. Exit 0 when the plan COMPLETED, 1 when it did not, 2 on bad input."""
    # The driver retries transient errors (deadlocks between concurrent writers)
    # by itself and logs each retry as a warning ("neo4j.pool" in 5.x, "neo4j.session"
    # in 6.x); they are not the user's concern here. Errors still show.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    spec = read_plan(file)
    with api_client(api, api_key, reconcile=True) as client:
        created = client.call(
            "POST", "/v1/plans?start=true", json=spec.model_dump(mode="json", by_alias=True)
        )
        console.print(f"plan {created['id']}: {spec.name} ({len(spec.steps)} steps)")
        page = f"{str(client.http.base_url).rstrip('/')}/ui/plans/{created['id']}"
        # In-process, the API (and this page) live as long as this command, with a viewer
        # key of their own: the address carries it in its fragment, which no request sends.
        shown = f"{page}#key={client.page_key}" if client.page_key else f"{page}#key=<your key>"
        console.print(f"live picture: {shown}", highlight=False, soft_wrap=True)
        config = ExecutorConfig(
            allow_commands=allow_commands, agent_cmd=agent_cmd, workdir=Path.cwd()
        )
        worker = Worker(
            client,
            config,
            slots=slots,
            wait_seconds=0.5,
            batch=batch,
            instant_batch=instant_batch,
            chain=chain,
            plan_ids=[created["id"]],
        )
        worker.start()
        try:
            plan = _follow(client, created["id"])
        finally:
            worker.stop()
        family = StatusTree.model_validate(client.call("GET", f"/v1/plans/{plan.id}/tree"))
    console.print(family_tree(family))
    if plan.status != PlanStatus.COMPLETED:
        raise fail(f"plan {plan.status.value}", 1)


def _follow(client: ApiClient, plan_id: str) -> PlanPublic:
    """Poll the plan, with a progress bar, until it is terminal."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("starting", total=None)
        while True:
            plan = PlanPublic.model_validate(client.call("GET", f"/v1/plans/{plan_id}"))
            running = [s.key for s in plan.steps if s.status.value in ("ASSIGNED", "EXECUTING")]
            progress = plan.progress
            assert progress is not None
            label = ", ".join(running[:3]) + (" ..." if len(running) > 3 else "")
            bar.update(
                task,
                total=progress.total,
                completed=progress.terminal,
                description=f"{plan.status.value:9} {label or '-'}",
            )
            if plan.status in PLAN_TERMINAL:
                return plan
            time.sleep(0.3)
