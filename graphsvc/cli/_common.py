"""What every command shares: the consoles, one-line errors, the options, reading a plan
file, and the API a command talks to (``--api`` / ``GRAPHSVC_API_URL``, else a
``graphsvc serve`` running on this machine, else an in-process API on a loopback port)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from graphsvc._errors import GraphsvcError, NotFoundError, Problem, ValidationFailed
from graphsvc.cli._serving import running_serve
from graphsvc.domain import PlanSpec, compile_tickets, load_spec_text
from graphsvc.settings import Settings
from graphsvc.worker import ApiClient

__all__ = [
    "Api",
    "ApiKey",
    "AsJson",
    "api_client",
    "console",
    "err_console",
    "fail",
    "one_line_errors",
    "print_json",
    "read_plan",
    "resolve_id",
]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

Api = Annotated[
    str | None,
    typer.Option(
        envvar="GRAPHSVC_API_URL",
        help="The API's base URL; default: the graphsvc serve running on this machine, "
        "else an API in this process, on the configured Neo4j.",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(envvar="GRAPHSVC_API_KEY", help="API key; default: the local key."),
]


AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON as it is.")]


def print_json(value: Any) -> None:
    """The API's answer as JSON on stdout, for scripts (``--json``)."""
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# The length of a full id (``ids.new_id``: a UUID's text); anything shorter is a prefix.
_ID_LENGTH = 36


def resolve_id(client: ApiClient, ref: str, label: str) -> str:
    """The full id ``ref`` names: a full id as it is, else the one ``label`` id (``plan``,
    ``step``, ``decision``) that starts with it (the named query
    ``find_ids_by_prefix``). ``NotFoundError`` when none does, ``ValidationFailed`` when
    more than one does."""
    if len(ref) >= _ID_LENGTH or not ref:
        return ref
    body = {"parameters": {"prefix": ref}}
    rows = client.call("POST", "/v1/queries/find_ids_by_prefix", json=body)["rows"]
    ids = [row["id"] for row in rows if row["label"] == label]
    if not ids:
        raise NotFoundError(f"no {label} id starts with {ref!r}", {label: ref})
    if len(ids) > 1:
        raise ValidationFailed(
            [Problem(ref, f"more than one {label} id starts with it: give more of the id")]
        )
    return str(ids[0])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def one_line_errors(fn: F) -> F:
    """Turn graphsvc's errors into one line on stderr and exit 1 (2 for invalid input)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            for problem in exc.problems:
                err_console.print(
                    f"[red]-[/] {escape(str(problem))}", highlight=False, soft_wrap=True
                )
            raise fail(f"{len(exc.problems)} problem(s)", 2) from None
        except GraphsvcError as exc:
            raise fail(exc.message) from None

    return wrapper  # type: ignore[return-value]


def read_plan(path: Path) -> PlanSpec:
    """Compile a ticket file (.md, .txt, .tickets, ...) or parse a .json/.yaml/.yml spec.
    ``ValidationFailed`` for a path that is missing, not a file, unreadable or not UTF-8
    text, and for every problem of its content."""
    if not path.exists():
        raise ValidationFailed([Problem(str(path), "no such file")])
    if not path.is_file():
        raise ValidationFailed([Problem(str(path), "not a file: give a plan file")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed([Problem(str(path), "not UTF-8 text: give a plan file")]) from None
    except OSError as exc:
        raise ValidationFailed([Problem(str(path), f"cannot be read: {exc.strerror}")]) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_spec_text(text, "json")
    if suffix in (".yaml", ".yml"):
        return load_spec_text(text, "yaml")
    return compile_tickets(text, default_name=path.stem)


@contextmanager
def api_client(
    api: str | None, api_key: str | None, reconcile: bool = False
) -> Iterator[ApiClient]:
    """A client of the API at ``api``; without one, of a ``graphsvc serve`` running on this
    machine (``cli._serving``), else of an API served in this process on a
    loopback port (connected to ``NEO4J_URI`` or the local Neo4j, with a key of its own;
    ``reconcile``: repair readiness at its start, as ``graphsvc serve`` does). Every
    command but ``db`` goes through here, so roles and attribution apply alike."""
    if not api:
        here = Settings()
        api = running_serve(here.data_dir, api_key, here.neo4j_uri or "")
    if api:
        client = ApiClient(api, api_key)
        try:
            yield client
        finally:
            client.close()
        return
    from graphsvc.cli._local_api import LocalApi

    settings = Settings(reconcile_on_start=reconcile)
    local = LocalApi(settings)
    with err_console.status(
        "Starting an API in this process (on the first run, the local Neo4j is fetched, "
        "built and started: a minute or two; a running `graphsvc serve` spares this)"
    ):
        local.__enter__()
    client = ApiClient(local.url, local.key)
    client.page_key = local.viewer_key
    try:
        yield client
    finally:
        client.close()
        local.__exit__(None, None, None)
