"""``graphsvc db start|build|stop|status``: the local Neo4j, the one group that does not
go through the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphsvc.cli._app import db_app
from graphsvc.cli._common import console, one_line_errors
from graphsvc.settings import Settings

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
