"""``graphsvc mcp``: the MCP server over stdio (what agent clients launch), and
``graphsvc mcp config``: the snippet that registers it with a client."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from graphsvc.cli._app import app
from graphsvc.cli._common import ApiKey, console, one_line_errors
from graphsvc.worker import ApiClient

mcp_app = typer.Typer(
    help="The MCP server for LLM agents (stdio): graphsvc's operations as tools.",
    invoke_without_command=True,
)
app.add_typer(mcp_app, name="mcp")

ApiUrl = Annotated[
    str, typer.Option("--api", envvar="GRAPHSVC_API_URL", help="The API's base URL.")
]
DEFAULT_API = "http://127.0.0.1:8765"


class ClientName(StrEnum):
    CLAUDE_CODE = "claude-code"
    CLAUDE_DESKTOP = "claude-desktop"
    CURSOR = "cursor"


@mcp_app.callback()
@one_line_errors
def mcp_serve(
    ctx: typer.Context,
    api: ApiUrl = DEFAULT_API,
    key: Annotated[
        str | None,
        typer.Option("--key", envvar="GRAPHSVC_API_KEY", help="API key; default: the local key."),
    ] = None,
) -> None:
    """Serve graphsvc's tools over stdio to an MCP client, as a client of the REST API at
    --api with --key: only the tools its role allows (viewer: read; worker: claim and
    report; coordinator: create, change, decide; admin: all)."""
    if ctx.invoked_subcommand is not None:
        return
    from graphsvc.mcp import build_server

    client = ApiClient(api, key)
    me = client.call("GET", "/v1/whoami")
    server = build_server(client, me["role"], me["principal"], me.get("agent_id"))
    server.run("stdio")


@mcp_app.command("config")
@one_line_errors
def mcp_config(
    client: Annotated[ClientName, typer.Option(help="The agent client.")] = ClientName.CLAUDE_CODE,
    api: ApiUrl = DEFAULT_API,
    key: ApiKey = None,
) -> None:
    """Print the snippet that registers this MCP server with an agent client. The key is
    passed in the environment (GRAPHSVC_API_KEY); without --key the server reads the
    local key of this machine by itself."""
    command = [sys.executable, "-m", "graphsvc", "mcp", "--api", api]
    env = {"GRAPHSVC_API_KEY": key} if key else {}
    if client == ClientName.CLAUDE_CODE:
        envs = " ".join(f"--env {k}={v}" for k, v in env.items())
        line = f"claude mcp add graphsvc {envs} -- {' '.join(command)}".replace("  ", " ")
        console.print(line, highlight=False, soft_wrap=True)
        return
    entry = {"command": command[0], "args": command[1:], **({"env": env} if env else {})}
    where = (
        "claude_desktop_config.json" if client == ClientName.CLAUDE_DESKTOP else ".cursor/mcp.json"
    )
    console.print(f"// {where}", highlight=False)
    console.print_json(json.dumps({"mcpServers": {"graphsvc": entry}}))
