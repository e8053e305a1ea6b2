"""The Typer apps: ``graphsvc`` and its command groups ``db``, ``plan`` and ``decide``."""

from __future__ import annotations

import typer

__all__ = ["app", "db_app", "decide_app", "plan_app"]

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
