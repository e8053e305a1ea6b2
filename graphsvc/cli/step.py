"""``graphsvc step show``: one step as a person reads it, through the REST API."""

from __future__ import annotations

from urllib.parse import quote

from graphsvc.cli._app import step_app
from graphsvc.cli._common import (
    Api,
    ApiKey,
    AsJson,
    api_client,
    console,
    one_line_errors,
    print_json,
)
from graphsvc.cli._render import step_table
from graphsvc.cli.plan import StepRef, step_id_of
from graphsvc.domain.models import StepDetail


@step_app.command("show")
@one_line_errors
def step_show(
    step: StepRef, as_json: AsJson = False, api: Api = None, api_key: ApiKey = None
) -> None:
    """A step: status, kind, agent, attempts, times, description, inputs, outputs, error,
    dependencies and dependents, child plans and its transitions (``GET /v1/steps/{id}``)."""
    with api_client(api, api_key) as client:
        detail = client.call("GET", f"/v1/steps/{quote(step_id_of(client, step))}")
    if as_json:
        print_json(detail)
        return
    console.print(step_table(StepDetail.model_validate(detail)))
