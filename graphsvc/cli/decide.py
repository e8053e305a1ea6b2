"""``graphsvc decide``: pending decisions, and approving or rejecting one, through the
REST API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from graphsvc.cli._app import decide_app
from graphsvc.cli._common import (
    Api,
    ApiKey,
    AsJson,
    api_client,
    console,
    one_line_errors,
    print_json,
    resolve_id,
)
from graphsvc.cli._render import decision_table
from graphsvc.cli.plan import User
from graphsvc.domain.models import DecisionPublic

DecisionId = Annotated[str, typer.Argument(help="The decision's id (or a unique prefix).")]
Comment = Annotated[str | None, typer.Option(help="Recorded on the approval.")]


@decide_app.callback(invoke_without_command=True)
@one_line_errors
def decide_list(
    ctx: typer.Context, as_json: AsJson = False, api: Api = None, api_key: ApiKey = None
) -> None:
    """Without a command: the PENDING decisions, oldest last."""
    if ctx.invoked_subcommand is None:
        with api_client(api, api_key) as client:
            rows = client.call("GET", "/v1/decisions", params={"status": "PENDING"})
        if as_json:
            print_json(rows)
            return
        console.print(decision_table([DecisionPublic.model_validate(r) for r in rows]))


def _decide(
    api: str | None, api_key: str | None, decision_id: str, verb: str, body: dict[str, Any]
) -> None:
    with api_client(api, api_key) as client:
        decision_id = resolve_id(client, decision_id, "decision")
        path = f"/v1/decisions/{quote(decision_id)}/{verb}"
        decided = DecisionPublic.model_validate(client.call("POST", path, json=body))
    console.print(f"decision {decided.id}: {decided.status}")


@decide_app.command("approve")
@one_line_errors
def decide_approve(
    decision_id: DecisionId,
    comment: Comment = None,
    start: Annotated[bool, typer.Option(help="Approving a plan: start it too.")] = False,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Approve a pending decision (an approval step completes; a plan may start)."""
    body = {"user_id": user, "comment": comment, "start": start}
    _decide(api, api_key, decision_id, "approve", body)


@decide_app.command("reject")
@one_line_errors
def decide_reject(
    decision_id: DecisionId,
    comment: Comment = None,
    user: User = "cli",
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Reject a pending decision (an approval step fails; a plan is cancelled)."""
    _decide(api, api_key, decision_id, "reject", {"user_id": user, "comment": comment})
