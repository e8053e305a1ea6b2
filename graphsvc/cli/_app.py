"""The Typer apps: ``graphsvc`` and its command groups ``db``, ``plan``, ``step`` and
``decide``; ``graphsvc --version``."""

from __future__ import annotations

from typing import Annotated

import typer

import graphsvc

__all__ = ["app", "db_app", "decide_app", "plan_app", "step_app"]

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
step_app = typer.Typer(no_args_is_help=True, help="Inspect steps.")
app.add_typer(step_app, name="step")


def _version(shown: bool) -> None:
    if shown:
        print(f"graphsvc {graphsvc.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """graphsvc: graph-native orchestration for AI-agent work on Neo4j."""
