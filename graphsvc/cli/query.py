"""``graphsvc query NAME --param key=value``: run a named query (``cypher/*.cypher``)
through the REST API; a table, or the API's JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape
from rich.table import Table

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.cli._app import app
from graphsvc.cli._common import (
    Api,
    ApiKey,
    AsJson,
    api_client,
    console,
    one_line_errors,
    print_json,
)

Params = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="A parameter as key=value; the value is read as JSON when it is JSON "
        '(42, true, [1, 2], "text"), else as text. Repeat for each.',
    ),
]


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["key=value", ...]`` as the query's parameters: a value that parses as JSON is
    that value, any other is its text. ``ValidationFailed`` for a pair without ``=``."""
    params: dict[str, Any] = {}
    problems: list[Problem] = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            problems.append(Problem(f"--param {pair}", "give key=value"))
            continue
        try:
            params[key] = json.loads(text)
        except ValueError:
            params[key] = text
    if problems:
        raise ValidationFailed(problems)
    return params


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return escape(text)


@app.command("query")
@one_line_errors
def query(
    name: Annotated[
        str | None, typer.Argument(help="The query's name; none: list the named queries.")
    ] = None,
    param: Params = None,
    as_json: AsJson = False,
    api: Api = None,
    api_key: ApiKey = None,
) -> None:
    """Run a named query (read-only), e.g. ``graphsvc query get_ready_steps -p
    plan_id=ID``; without a name, list them with their parameters."""
    with api_client(api, api_key) as client:
        if name is None:
            answer = client.call("GET", "/v1/queries")
        else:
            body = {"parameters": parse_params(param or [])}
            answer = client.call("POST", f"/v1/queries/{quote(name)}", json=body)
    if as_json:
        print_json(answer)
        return
    if name is None:
        table = Table("name", "parameters", "description")
        for q in answer:
            table.add_row(q["name"], ", ".join(q["parameters"]), escape(q["description"]))
    else:
        table = Table(*answer["columns"], caption=f"{len(answer['rows'])} row(s)")
        for row in answer["rows"]:
            table.add_row(*(_cell(row.get(c)) for c in answer["columns"]))
    console.print(table)
