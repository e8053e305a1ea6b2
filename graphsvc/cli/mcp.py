"""``graphsvc mcp``: the MCP server over stdio (what agent clients launch), and
``graphsvc mcp config``: the snippet that registers it with a client."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

import typer

from graphsvc._errors import GraphsvcError
from graphsvc.cli._app import app
from graphsvc.cli._common import console, one_line_errors
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


class Transport(StrEnum):
    STDIO = "stdio"
    HTTP = "http"


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
    allow_admin: Annotated[
        bool,
        typer.Option(help="Serve with an admin key (every tool, approving its own gates too)."),
    ] = False,
) -> None:
    """Serve graphsvc's tools over stdio to an MCP client, as a client of the REST API at
    --api with --key: only the tools its role allows (viewer: read; worker: claim and
    report; coordinator: create, change, decide). An admin key (the local key is one) is
    refused unless --allow-admin: an agent should not approve its own gates."""
    if ctx.invoked_subcommand is not None:
        return
    from graphsvc.mcp import build_server
    from graphsvc.mcp.server import SessionLeases

    client = ApiClient(api, key)
    me = client.call("GET", "/v1/whoami")
    if me["role"] == "admin" and not allow_admin:
        raise GraphsvcError(
            "this is an admin key (the local key is one): give the agent a worker or "
            "coordinator key (GRAPHSVC_API_KEYS=key:worker:AGENT_ID), or pass --allow-admin"
        )
    # One line per HTTP call to the API is noise on an agent client's stderr.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sessions = SessionLeases(client)
    server = build_server(client, me["role"], me["principal"], me.get("agent_id"), sessions)
    try:
        server.run("stdio")
    finally:
        # The session ended (the client closed stdin): what it still holds is given
        # back at once, READY for others, instead of waiting for its leases to expire.
        sessions.end_all()


@mcp_app.command("config")
@one_line_errors
def mcp_config(
    client: Annotated[ClientName, typer.Option(help="The agent client.")] = ClientName.CLAUDE_CODE,
    api: ApiUrl = DEFAULT_API,
    transport: Annotated[
        Transport,
        typer.Option(
            help="stdio: the client launches `graphsvc mcp`; http: it connects to "
            "/mcp of a running `graphsvc serve`."
        ),
    ] = Transport.STDIO,
) -> None:
    """Print the snippet that registers this MCP server with an agent client. The key is
    shown as a placeholder to fill in (a worker key for an agent that does steps, a
    coordinator key for one that plans): over stdio it goes in the environment variable
    GRAPHSVC_API_KEY, over http in the header 'Authorization: Bearer <key>'."""
    placeholder = "<a worker or coordinator key>"
    if transport == Transport.HTTP:
        _print_http_config(client, f"{api.rstrip('/')}/mcp", placeholder)
        return
    command = [sys.executable, "-m", "graphsvc", "mcp", "--api", api]
    if client == ClientName.CLAUDE_CODE:
        env = shlex.quote(f"GRAPHSVC_API_KEY={placeholder}")
        line = f"claude mcp add graphsvc --env {env} -- {shlex.join(command)}"
        console.print(line, highlight=False, soft_wrap=True)
        return
    entry = {"command": command[0], "args": command[1:], "env": {"GRAPHSVC_API_KEY": placeholder}}
    _print_json_config(client, entry)


def _print_http_config(client: ClientName, url: str, placeholder: str) -> None:
    header = f"Authorization: Bearer {placeholder}"
    if client == ClientName.CLAUDE_CODE:
        line = f"claude mcp add --transport http graphsvc {url} --header {shlex.quote(header)}"
        console.print(line, highlight=False, soft_wrap=True)
        return
    if client == ClientName.CLAUDE_DESKTOP:
        raise GraphsvcError(
            "Claude Desktop's config file launches local servers only: use --transport stdio "
            "(or add the URL as a custom connector in its settings)"
        )
    _print_json_config(client, {"url": url, "headers": {"Authorization": f"Bearer {placeholder}"}})


def _print_json_config(client: ClientName, entry: Mapping[str, object]) -> None:
    where = (
        "claude_desktop_config.json" if client == ClientName.CLAUDE_DESKTOP else ".cursor/mcp.json"
    )
    console.print(f"// {where}", highlight=False)
    console.print_json(json.dumps({"mcpServers": {"graphsvc": entry}}))
