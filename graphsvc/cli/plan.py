"""``graphsvc plan ...``: inspect and change stored plans, through the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape

from graphsvc._errors import GraphsvcError, NotFoundError
from graphsvc.cli._app import plan_app
from graphsvc.cli._common import (
    Api,
    ApiKey,
    AsJson,
    api_client,
    console,
    one_line_errors,
    print_json,
    read_plan,
    resolve_id,
)
from graphsvc.cli._render import audit_table, family_tree, plan_list_table, plan_tree
from graphsvc.domain import PlanStatus, PlanSummary
from graphsvc.domain.models import StatusTree
from graphsvc.worker import ApiClient

StepRef = Annotated[str, typer.Argument(help="A step id, or PLAN_ID:KEY.")]
Reason = Annotated[str | None, typer.Option(help="Why: recorded on the PlanModification.")]
User = Annotated[
    str,
    typer.Option("--user", envvar="USER", help="Who asks (a User id; default $USER)."),
]


def step_id_of(client: ApiClient, ref: str) -> str:
    """A step's id from ``ref``: a step id or a unique prefix of one, or ``PLAN_ID:KEY``
    (the plan's id or a unique prefix of it). ``NotFoundError`` if none."""
    plan_id, _, key = ref.rpartition(":")
    if not plan_id:
        return resolve_id(client, key, "step")
    try:
        plan = client.get_plan(resolve_id(client, plan_id, "plan"))
    except NotFoundError:
        plan = None
    step = next((s for s in plan.steps if s.key == key), None) if plan else None
    if step is None:
        raise NotFoundError(f"no step {ref!r} (give a step id or PLAN_ID:KEY)", {"step": ref})
    return step.id


def _changed(result: dict[str, Any]) -> None:
    if result.get("status") == "REQUESTED":  # 202: the plan's changes need approval
        console.print(
            f"change requested ({result['modification_id']}): it waits for decision "
            f"{result['decision_id']} (graphsvc decide approve {result['decision_id']})",
            highlight=False,
        )
        return
    recorded = result.get("modification_id") or "nothing to change, nothing recorded"
    console.print(f"step {result['step_id']}: {result['status']}  [dim]({recorded})[/]")


@plan_app.command("list")
@one_line_errors
def plan_list(
    all_plans: Annotated[bool, typer.Option("--all", help="Child plans too.")] = False,
    status: Annotated[PlanStatus | None, typer.Option()] = None,
    as_json: AsJson = False,
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """List plans, newest first."""
    params: dict[str, Any] = {"root_only": not all_plans}
    if status is not None:
        params["status"] = status.value
    with api_client(api, api_key) as client:
        rows = client.call("GET", "/v1/plans", params=params)
    if as_json:
        print_json(rows)
        return
    console.print(plan_list_table([PlanSummary.model_validate(r) for r in rows]))


@plan_app.command("show")
@one_line_errors
def plan_show(
    plan_id: str, as_json: AsJson = False, api: Api = None, api_key: ApiKey = None
) -> None:
    """Show a plan: its steps with status, and progress."""
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        plan = client.get_plan(plan_id)
        page = f"{str(client.http.base_url).rstrip('/')}/ui/plans/{quote(plan.id)}"
        in_process = client.page_key is not None
    if as_json:
        print_json(plan.model_dump(mode="json"))
        return
    console.print(plan_tree(plan))
    if not in_process:  # an in-process API ends with this command: its page would too
        console.print(f"live picture: {page}#key=<your key>", highlight=False, soft_wrap=True)


@plan_app.command("export")
@one_line_errors
def plan_export(
    plan_id: str,
    format: Annotated[str, typer.Option(help="mermaid or dot.")] = "mermaid",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Print a plan's graph as text: a Mermaid flowchart or Graphviz DOT."""
    if format not in ("mermaid", "dot"):
        raise GraphsvcError(f"unknown format {format!r}: mermaid or dot")
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        response = client.http.get(f"/v1/plans/{quote(plan_id)}/graph", params={"format": format})
        if not response.is_success:
            client.call("GET", f"/v1/plans/{quote(plan_id)}")  # raises the API's error
        text = response.text
    print(text, end="")


@plan_app.command("watch")
@one_line_errors
def plan_watch(
    plan_id: str,
    family: Annotated[bool, typer.Option(help="Also the events of its child plans.")] = False,
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Print a plan's events as they happen (the event stream), until it ends; steps are
    named by their keys, plans (with --family) by their names."""
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        names: dict[str, tuple[str, dict[str, str]]] = {}  # plan id -> (name, step keys)

        def named(pid: str) -> tuple[str, dict[str, str]]:
            if pid not in names:  # a plan first seen (a child plan): its name and keys
                plan = client.get_plan(pid)
                names[pid] = (plan.name, {s.id: s.key for s in plan.steps})
            return names[pid]

        for pid, event in client.stream_events(plan_id, family=family):
            change = f"{event.from_status or ''} -> {event.to_status}" if event.to_status else ""
            plan_name, keys = named(pid)
            if event.step_id and event.step_id not in keys:  # added while it runs
                names.pop(pid)
                plan_name, keys = named(pid)
            where = f"{escape(plan_name)}: " if family else ""
            about = f" {escape(keys.get(event.step_id, event.step_id))}" if event.step_id else ""
            console.print(
                f"[dim]{event.timestamp:%H:%M:%S} #{event.seq}[/] {where}[bold]{event.type}[/]"
                f"{about} {change} [dim]{escape(event.actor or '')} "
                f"{escape(event.message or '')}[/]",
                highlight=False,
            )


@plan_app.command("status")
@one_line_errors
def plan_status(
    plan_id: str,
    depth: Annotated[int, typer.Option(min=0, help="Levels of child plans to show.")] = 3,
    as_json: AsJson = False,
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """The plan's status tree: its steps, their child plans, theirs, ... to --depth."""
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        tree = client.call("GET", f"/v1/plans/{quote(plan_id)}/tree", params={"depth": depth})
    if as_json:
        print_json(tree)
        return
    console.print(family_tree(StatusTree.model_validate(tree)))


def _plan_command(verb: str, help_text: str) -> None:
    """Register ``graphsvc plan <verb> ID``: ``POST /v1/plans/{id}/<verb>`` with a reason."""

    def command(
        plan_id: str, reason: Reason = None, api: Api = None, api_key: ApiKey = None
    ) -> None:
        with api_client(api, api_key) as client:
            plan_id = resolve_id(client, plan_id, "plan")
            path = f"/v1/plans/{quote(plan_id)}/{verb}"
            answer = client.call("POST", path, json={"reason": reason})
        console.print(f"plan {plan_id}: {answer['status']}")

    command.__doc__ = help_text
    plan_app.command(verb)(one_line_errors(command))


_plan_command(
    "cancel", "Cancel a plan: its unfinished steps are cancelled and their leases revoked."
)
_plan_command(
    "pause", "Pause a running plan: nothing new is claimed; running steps may still report."
)
_plan_command("resume", "Resume a paused plan: its READY steps are claimed again.")


@plan_app.command("replan")
@one_line_errors
def plan_replan(
    plan_id: str,
    file: Annotated[Path, typer.Argument(help="The new version: a plan spec or ticket file.")],
    reason: Reason = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Replace a live plan by a new version: unchanged COMPLETED steps are carried over, the
    old plan becomes SUPERSEDED, and a running plan's new version starts at once."""
    spec = read_plan(file)
    body = {"spec": spec.model_dump(mode="json", by_alias=True), "reason": reason, "user_id": user}
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        answer = client.call("POST", f"/v1/plans/{quote(plan_id)}/replan", json=body)
    if answer.get("status") == "REQUESTED":
        _changed(answer)
        return
    carried = ", ".join(answer["carried_over"]) or "none"
    console.print(
        f"plan {answer['id']}: {answer['status']}, supersedes {answer['supersedes']}; "
        f"carried over: {carried}",
        highlight=False,
    )


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
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Add a step to a running plan; READY at once if its dependencies are satisfied."""
    step = {
        "key": key,
        "kind": kind,
        "name": name,
        "description": description,
        "depends_on": depends_on or [],
    }
    body = {"step": step, "reason": reason, "user_id": user}
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        _changed(client.call("POST", f"/v1/plans/{quote(plan_id)}/steps", json=body))


def _change(
    api: str | None, api_key: str | None, ref: str, verb: str, body: dict[str, Any]
) -> None:
    """``POST /v1/steps/{id}/{verb}`` for the step ``ref`` names, and print the outcome."""
    with api_client(api, api_key) as client:
        step_id = step_id_of(client, ref)
        _changed(client.call("POST", f"/v1/steps/{quote(step_id)}/{verb}", json=body))


@plan_app.command("depend")
@one_line_errors
def plan_depend(
    step: StepRef,
    depends_on: Annotated[str, typer.Argument(help="The step it must wait for (key or id).")],
    reason: Reason = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Make a step that has not started wait for another step of its plan."""
    body = {"depends_on": depends_on, "reason": reason, "user_id": user}
    _change(api, api_key, step, "dependencies", body)


@plan_app.command("undepend")
@one_line_errors
def plan_undepend(
    step: StepRef,
    depends_on: Annotated[str, typer.Argument(help="The dependency to remove (key or id).")],
    reason: Reason = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Remove a dependency ("unblock"): the step runs if nothing else blocks it."""
    _delete(api, api_key, step, f"/dependencies/{quote(depends_on)}", reason, user)


def _delete(
    api: str | None, api_key: str | None, ref: str, suffix: str, reason: str | None, user: str
) -> None:
    """``DELETE /v1/steps/{id}<suffix>`` for the step ``ref`` names (reason and user as
    query parameters), and print the outcome."""
    with api_client(api, api_key) as client:
        step_id = step_id_of(client, ref)
        params = {k: v for k, v in {"reason": reason, "user_id": user}.items() if v}
        _changed(client.call("DELETE", f"/v1/steps/{quote(step_id)}{suffix}", params=params))


def _end_step_command(verb: str, help_text: str) -> None:
    """Register ``graphsvc plan <verb>-step STEP``: ``POST /v1/steps/{id}/<verb>``."""

    def command(
        step: StepRef,
        reason: Reason = None,
        user: User = "cli",
        api: Api = None,
        api_key: ApiKey = None,
    ) -> None:
        _change(api, api_key, step, verb, {"reason": reason, "user_id": user})

    command.__doc__ = help_text
    plan_app.command(f"{verb}-step")(one_line_errors(command))


_end_step_command(
    "cancel", "Cancel an unfinished step (its lease revoked); its dependents proceed."
)
_end_step_command("skip", "Skip an unfinished step; its dependents proceed.")


@plan_app.command("remove-step")
@one_line_errors
def plan_remove_step(
    step: StepRef,
    reason: Reason = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Remove a step that has not started: it stops counting and stops gating its
    dependents; the node stays for the audit."""
    _delete(api, api_key, step, "", reason, user)


@plan_app.command("retry-step")
@one_line_errors
def plan_retry_step(
    step: StepRef,
    reset_downstream: Annotated[
        bool, typer.Option(help="Run the finished steps downstream of it again too.")
    ] = False,
    reason: Reason = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Re-arm a FAILED step; a FAILED plan runs again."""
    body = {"reason": reason, "user_id": user, "reset_downstream": reset_downstream}
    _change(api, api_key, step, "retry", body)


@plan_app.command("audit")
@one_line_errors
def plan_audit(
    plan_id: str, as_json: AsJson = False, api: Api = None, api_key: ApiKey = None
) -> None:
    """The plan's audit trail in time order: who asked, what the AI concluded and decided,
    who approved, every change and transition, communications."""
    with api_client(api, api_key) as client:
        plan_id = resolve_id(client, plan_id, "plan")
        rows = client.audit(plan_id)
    if as_json:
        print_json(rows)
        return
    console.print(audit_table(rows))
