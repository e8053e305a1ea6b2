"""The ``graphsvc`` command line (DESIGN.md section 6).

Errors print as one line on stderr (``error: ...``), never a traceback;
the exit code is 1 for a failure and 2 for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from graphsvc._errors import GraphsvcError, Problem, ValidationFailed
from graphsvc._render import (
    audit_table,
    decision_table,
    family_tree,
    plan_list_table,
    plan_tree,
    spec_table,
)
from graphsvc.domain import (
    PLAN_TERMINAL,
    PlanPublic,
    PlanSpec,
    PlanStatus,
    compile_tickets,
    load_spec_text,
)
from graphsvc.domain.models import StatusTree
from graphsvc.settings import Settings
from graphsvc.store import Database, audit, decisions, lifecycle, modify, resolve_target
from graphsvc.store import plans as plan_store
from graphsvc.store import tree as tree_store
from graphsvc.store.steps import step_id_of
from graphsvc.worker import ApiClient, ExecutorConfig, Worker

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="graphsvc: graph-native orchestration for AI-agent work on Neo4j.",
)
db_app = typer.Typer(
    no_args_is_help=True, help="Manage the local Neo4j (used when NEO4J_URI is unset)."
)
app.add_typer(db_app, name="db")
plan_app = typer.Typer(no_args_is_help=True, help="Inspect and control stored plans.")
app.add_typer(plan_app, name="plan")
decide_app = typer.Typer(help="List pending decisions (no command), approve or reject one.")
app.add_typer(decide_app, name="decide")

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def one_line_errors(fn: F) -> F:
    """Turn graphsvc's errors into one line on stderr and exit 1 (2 for invalid input)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            for problem in exc.problems:
                err_console.print(f"[red]-[/] {problem}", highlight=False, soft_wrap=True)
            raise fail(f"{len(exc.problems)} problem(s)", 2) from None
        except GraphsvcError as exc:
            raise fail(exc.message) from None

    return wrapper  # type: ignore[return-value]


DataDir = Annotated[Path | None, typer.Option(help="Data folder (default GRAPHSVC_DATA_DIR).")]


@db_app.command("start")
@one_line_errors
def db_start(
    bolt_port: Annotated[int | None, typer.Option(help="Bolt port; 0 picks a free one.")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port; 0 picks a free one.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Start the local Neo4j 5 (built from Maven Central on first use) and wait until it answers."""
    from graphsvc.localdb import start

    settings = Settings()
    with console.status("Starting the local Neo4j (the first start fetches it from Maven Central)"):
        info, started = start(settings, bolt_port, http_port, data_dir)
    console.print(f"{'Started' if started else 'Already running:'} local Neo4j (pid {info.pid})")
    console.print(f"  Bolt     {info.uri}")
    console.print(f"  Browser  {info.browser_url}  (user neo4j, password {info.password})")
    console.print(f"  Data     {info.data_dir}")


@db_app.command("build")
@one_line_errors
def db_build() -> None:
    """Fetch Neo4j from Maven Central and compile the launcher (cached; done once per machine)."""
    from graphsvc.localdb import build_launcher

    with console.status("Building the local Neo4j launcher (Maven Central)"):
        folder = build_launcher(Settings().cache_dir)
    console.print(f"Local Neo4j launcher ready in {folder}")


@db_app.command("stop")
@one_line_errors
def db_stop(data_dir: DataDir = None) -> None:
    """Stop the local Neo4j; its data stays for the next start."""
    from graphsvc.localdb import stop

    folder = data_dir or Settings().data_dir
    console.print("Stopped the local Neo4j" if stop(folder) else "The local Neo4j was not running")


@db_app.command("status")
@one_line_errors
def db_status(data_dir: DataDir = None) -> None:
    """Say whether the local Neo4j runs, and where to reach it. Exit 1 when it does not run."""
    from graphsvc.localdb import local_status

    folder = data_dir or Settings().data_dir
    info = local_status(folder)
    if info is None:
        console.print(f"The local Neo4j is not running (data folder {folder})")
        raise typer.Exit(1)
    console.print(f"Running (pid {info.pid}): Bolt {info.uri}, Browser {info.browser_url}")
    console.print(f"  user neo4j, password in {Path(info.data_dir) / 'password'}")


def _read_plan(path: Path) -> PlanSpec:
    """Compile a ticket file (.md, .txt, .tickets, ...) or parse a .json/.yaml/.yml spec."""
    if not path.exists():
        raise ValidationFailed([Problem(str(path), "no such file")])
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_spec_text(text, "json")
    if suffix in (".yaml", ".yml"):
        return load_spec_text(text, "yaml")
    return compile_tickets(text, default_name=path.stem)


def _database(settings: Settings) -> Database:
    target = resolve_target(settings, announce=lambda line: err_console.print(line))
    db = Database(target, timeout=settings.db_timeout)
    db.apply_schema()
    return db


@app.command("compile")
@one_line_errors
def compile_cmd(file: Path) -> None:
    """Validate a plan file and print its steps; every problem otherwise (exit 2)."""
    console.print(spec_table(_read_plan(file)))


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
    host = host or settings.host
    app = create_app(settings)
    if not settings.api_keys:
        err_console.print(
            f"API key: the local admin key in {settings.data_dir / KEY_FILE} "
            "(set GRAPHSVC_API_KEYS for keys of your own)"
        )
    uvicorn.run(app, host=host, port=port or settings.port)


ApiKey = Annotated[
    str | None,
    typer.Option(envvar="GRAPHSVC_API_KEY", help="API key; default: the local key."),
]
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
        help="Steps a slot claims at once; noop steps are completed together in one request.",
    ),
]


@app.command("worker")
@one_line_errors
def worker_cmd(
    api: Annotated[str, typer.Option(help="API base URL.")] = "http://127.0.0.1:8765",
    api_key: ApiKey = None,
    slots: Slots = 4,
    batch: Batch = 1,
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
        typer.Option(help="Run only this plan's steps and its child plans' (repeatable)."),
    ] = None,
) -> None:
    """Run the built-in worker against an API until interrupted."""
    import time

    config = ExecutorConfig(allow_commands=allow_commands, agent_cmd=agent_cmd, workdir=Path.cwd())
    worker = Worker(
        ApiClient(api, api_key),
        config,
        slots=slots,
        agent_id=agent_id,
        plan_ids=plan,
        capabilities=capability or [],
        lease_seconds=lease_seconds,
        on_event=lambda kind, step: console.print(f"{kind:9} {step['key']}"),
        batch=batch,
    )
    try:
        who = f"worker {worker.agent_id}"
    except GraphsvcError:  # the API is not up yet: the slots ask again before they claim
        who = "worker (its agent is named once the API answers)"
    console.print(f"{who}: {slots} slot(s) on {api}")
    worker.start()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        worker.stop()


@app.command("run")
@one_line_errors
def run_cmd(
    file: Path,
    slots: Slots = 4,
    batch: Batch = 1,
    allow_commands: Annotated[
        bool, typer.Option(help="Run [prog] steps (your own file: on by default).")
    ] = True,
    agent_cmd: AgentCmd = None,
    api: Annotated[
        str | None, typer.Option(help="Use this API instead of an in-process one.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Compile, submit and start a plan, execute it with local workers, show progress and the
    final tree. The workers run only this plan's steps and its child plans', never another
    plan's. Exit 0 when the plan COMPLETED, 1 when it did not, 2 on bad input."""
    import logging
    from contextlib import nullcontext

    from graphsvc._local_api import LocalApi

    # The driver retries transient errors (deadlocks between concurrent writers)
    # by itself and logs each retry as a warning ("neo4j.pool" in 5.x, "neo4j.session"
    # in 6.x); they are not the user's concern here. Errors still show.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    spec = _read_plan(file)
    settings = Settings()
    local = None if api else LocalApi(settings, _database(settings))
    with local or nullcontext():
        client = ApiClient(local.url, local.key) if local else ApiClient(api or "", api_key)
        created = client.call(
            "POST", "/v1/plans?start=true", json=spec.model_dump(mode="json", by_alias=True)
        )
        console.print(f"plan {created['id']}: {spec.name} ({len(spec.steps)} steps)")
        config = ExecutorConfig(
            allow_commands=allow_commands, agent_cmd=agent_cmd, workdir=Path.cwd()
        )
        worker = Worker(
            client,
            config,
            slots=slots,
            wait_seconds=0.5,
            batch=batch,
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
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


@plan_app.command("list")
@one_line_errors
def plan_list(
    all_plans: Annotated[bool, typer.Option("--all", help="Child plans too.")] = False,
    status: Annotated[PlanStatus | None, typer.Option()] = None,
) -> None:
    """List plans, newest first."""
    with _database(Settings()) as db:
        console.print(
            plan_list_table(plan_store.list_plans(db, root_only=not all_plans, status=status))
        )


@plan_app.command("show")
@one_line_errors
def plan_show(plan_id: str) -> None:
    """Show a plan: its steps with status, and progress."""
    with _database(Settings()) as db:
        console.print(plan_tree(plan_store.get_plan(db, plan_id)))


@plan_app.command("status")
@one_line_errors
def plan_status(
    plan_id: str,
    depth: Annotated[int, typer.Option(min=0, help="Levels of child plans to show.")] = 3,
) -> None:
    """The plan's status tree: its steps, their child plans, theirs, ... to --depth."""
    with _database(Settings()) as db:
        console.print(family_tree(tree_store.status_tree(db, plan_id, depth)))


@plan_app.command("cancel")
@one_line_errors
def plan_cancel(plan_id: str, reason: Annotated[str | None, typer.Option()] = None) -> None:
    """Cancel a plan: its unfinished steps are cancelled and their leases revoked."""
    with _database(Settings()) as db:
        status = lifecycle.transition_plan(db, plan_id, "cancel", actor="cli", reason=reason)
    console.print(f"plan {plan_id}: {status.value}")


StepRef = Annotated[str, typer.Argument(help="A step id, or PLAN_ID:KEY.")]
Reason = Annotated[str | None, typer.Option(help="Why: recorded on the PlanModification.")]
User = Annotated[
    str,
    typer.Option("--user", envvar="USER", help="Who asks (a User id; default $USER)."),
]


def _changed(result: dict[str, Any]) -> None:
    recorded = result.get("modification_id") or "nothing to change, nothing recorded"
    console.print(f"step {result['step_id']}: {result['status']}  [dim]({recorded})[/]")


@plan_app.command("add-step")
@one_line_errors
def plan_add_step(
    plan_id: str,
    key: Annotated[str, typer.Option(help="The new step's key (unique in the plan).")],
    kind: Annotated[str, typer.Option(help="noop, task, command, ...")] = "task",
    name: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str, typer.Option(help="The task text or script.")] = "",
    depends_on: Annotated[
        list[str] | None, typer.Option(help="A step it depends on, by key or id (repeatable).")
    ] = None,
    reason: Reason = None,
    user: User = "cli",
) -> None:
    """Add a step to a running plan; READY at once if its dependencies are satisfied."""
    data = {
        "key": key,
        "kind": kind,
        "name": name,
        "description": description,
        "depends_on": depends_on or [],
    }
    with _database(Settings()) as db:
        result = modify.add_step(db, plan_id, data, modify.Actor(user), reason)
    _changed(result)


@plan_app.command("depend")
@one_line_errors
def plan_depend(
    step: StepRef,
    depends_on: Annotated[str, typer.Argument(help="The step it must wait for (key or id).")],
    reason: Reason = None,
    user: User = "cli",
) -> None:
    """Make a step that has not started wait for another step of its plan."""
    with _database(Settings()) as db:
        _changed(
            modify.add_dependency(db, step_id_of(db, step), depends_on, modify.Actor(user), reason)
        )


@plan_app.command("undepend")
@one_line_errors
def plan_undepend(
    step: StepRef,
    depends_on: Annotated[str, typer.Argument(help="The dependency to remove (key or id).")],
    reason: Reason = None,
    user: User = "cli",
) -> None:
    """Remove a dependency ("unblock"): the step runs if nothing else blocks it."""
    with _database(Settings()) as db:
        _changed(
            modify.remove_dependency(
                db, step_id_of(db, step), depends_on, modify.Actor(user), reason
            )
        )


@plan_app.command("cancel-step")
@one_line_errors
def plan_cancel_step(step: StepRef, reason: Reason = None, user: User = "cli") -> None:
    """Cancel an unfinished step (its lease revoked); its dependents proceed."""
    with _database(Settings()) as db:
        _changed(modify.cancel_step(db, step_id_of(db, step), modify.Actor(user), reason))


@plan_app.command("skip-step")
@one_line_errors
def plan_skip_step(step: StepRef, reason: Reason = None, user: User = "cli") -> None:
    """Skip an unfinished step; its dependents proceed."""
    with _database(Settings()) as db:
        _changed(modify.skip_step(db, step_id_of(db, step), modify.Actor(user), reason))


@plan_app.command("retry-step")
@one_line_errors
def plan_retry_step(
    step: StepRef,
    reset_downstream: Annotated[
        bool, typer.Option(help="Run the finished steps downstream of it again too.")
    ] = False,
    reason: Reason = None,
    user: User = "cli",
) -> None:
    """Re-arm a FAILED step; a FAILED plan runs again."""
    with _database(Settings()) as db:
        _changed(
            modify.retry_step(
                db, step_id_of(db, step), modify.Actor(user), reason, reset_downstream
            )
        )


@plan_app.command("audit")
@one_line_errors
def plan_audit(plan_id: str) -> None:
    """The plan's audit trail in time order: who asked, what the AI concluded and decided,
    who approved, every change and transition, communications."""
    with _database(Settings()) as db:
        console.print(audit_table(audit.audit_chain(db, plan_id)))


@decide_app.callback(invoke_without_command=True)
@one_line_errors
def decide_list(ctx: typer.Context) -> None:
    """Without a command: the PENDING decisions, oldest last."""
    if ctx.invoked_subcommand is None:
        with _database(Settings()) as db:
            console.print(decision_table(decisions.list_decisions(db, "PENDING")))


DecisionId = Annotated[str, typer.Argument(help="The decision's id.")]
Comment = Annotated[str | None, typer.Option(help="Recorded on the approval.")]


@decide_app.command("approve")
@one_line_errors
def decide_approve(
    decision_id: DecisionId,
    comment: Comment = None,
    start: Annotated[bool, typer.Option(help="Approving a plan: start it too.")] = False,
    user: User = "cli",
) -> None:
    """Approve a pending decision (an approval step completes; a plan may start)."""
    with _database(Settings()) as db:
        decided = decisions.decide(db, decision_id, True, user, None, comment, start)
    console.print(f"decision {decided.id}: {decided.status}")


@decide_app.command("reject")
@one_line_errors
def decide_reject(decision_id: DecisionId, comment: Comment = None, user: User = "cli") -> None:
    """Reject a pending decision (an approval step fails; a plan is cancelled)."""
    with _database(Settings()) as db:
        decided = decisions.decide(db, decision_id, False, user, None, comment)
    console.print(f"decision {decided.id}: {decided.status}")


def main() -> None:
    """Entry point of the ``graphsvc`` console script."""
    app(prog_name="graphsvc")


if __name__ == "__main__":  # pragma: no cover
    main()
