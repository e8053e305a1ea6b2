"""What every command shares: the consoles, one-line errors, the options, reading a plan
file, and the API a command talks to (``--api`` / ``GRAPHSVC_API_URL``, else an
in-process API on a loopback port)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from graphsvc._errors import GraphsvcError, Problem, ValidationFailed
from graphsvc.domain import PlanSpec, compile_tickets, load_spec_text
from graphsvc.settings import Settings
from graphsvc.worker import ApiClient

__all__ = [
    "Api",
    "ApiKey",
    "api_client",
    "console",
    "err_console",
    "fail",
    "one_line_errors",
    "read_plan",
]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

Api = Annotated[
    str | None,
    typer.Option(
        envvar="GRAPHSVC_API_URL",
        help="The API's base URL; default: an API in this process, on the configured Neo4j.",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(envvar="GRAPHSVC_API_KEY", help="API key; default: the local key."),
]


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


def read_plan(path: Path) -> PlanSpec:
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


@contextmanager
def api_client(
    api: str | None, api_key: str | None, reconcile: bool = False
) -> Iterator[ApiClient]:
    """A client of the API at ``api``; without one, of an API served in this process on a
    loopback port (connected to ``NEO4J_URI`` or the local Neo4j, with a key of its own;
    ``reconcile``: repair readiness at its start, as ``graphsvc serve`` does). Every
    command but ``db`` goes through here, so roles and attribution apply alike."""
    if api:
        client = ApiClient(api, api_key)
        try:
            yield client
        finally:
            client.close()
        return
    from graphsvc.cli._local_api import LocalApi

    settings = Settings(reconcile_on_start=reconcile)
    with LocalApi(settings) as local:
        client = ApiClient(local.url, local.key)
        client.page_key = local.viewer_key
        try:
            yield client
        finally:
            client.close()
