"""The MCP server over streamable HTTP at ``/mcp`` on ``graphsvc serve`` (issue 20).

A request carries ``Authorization: Bearer <key>``, one of the API's keys. Each key
gets an MCP server of its own, built on its first request with the tools of its
role (``build_server``), whose tools call this same API over HTTP with that key: roles,
attribution and every rule of the API apply exactly as over stdio. Sessions are the
SDK's (``Mcp-Session-Id``), each bound to the key that opened it. Leases belong to the
session whose tools claimed them and are heartbeated while it lives: a session the
client ends (``DELETE /mcp``) and every session when this process stops give back what
they still hold, READY at once; a session that vanishes without ending stops renewing a
lease an hour after the last tool call about its step.

An admin key gets every tool here (over stdio it needs ``--allow-admin``: there the
key is picked up from the machine, here the client sends it on purpose). The SDK's
DNS-rebinding check (Host and Origin headers) is off: a page that reaches this port
by rebinding still has no key, and every request needs one.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup, TaskStatus
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Message, Receive, Scope, Send

from graphsvc._errors import AuthenticationFailed
from graphsvc.api._guards import bearer_key, send_error
from graphsvc.api.auth import Principal, authenticate
from graphsvc.api.errors import error_body
from graphsvc.engine import work
from graphsvc.mcp.server import SESSION_HEADER, SessionLeases, build_server
from graphsvc.store import Database
from graphsvc.worker.client import ApiClient

__all__ = ["McpEndpoint"]

_OPEN = TransportSecuritySettings(enable_dns_rebinding_protection=False)


class McpEndpoint:
    """The ASGI app served at ``/mcp``: authenticates the bearer key (401 with the API's
    error body when it is missing or unknown), then hands the request to that key's
    MCP server. ``running()`` must be entered for the app's lifetime (its lifespan):
    the servers' session managers run in its task group."""

    def __init__(self, keys: dict[str, Principal]) -> None:
        self._keys = keys
        self._managers: dict[str, StreamableHTTPSessionManager] = {}
        self._sessions: dict[str, SessionLeases] = {}
        self._clients: list[ApiClient] = []
        self._lock = anyio.Lock()
        self._group: TaskGroup | None = None

    @asynccontextmanager
    async def running(self, db: Database) -> AsyncIterator[None]:
        """Run the session managers of the keys' servers until the block ends; then give
        back the leases every session still holds, straight to ``db`` (the server no
        longer listens by then, so not over HTTP)."""

        def give_back(step_id: str, token: str) -> None:
            work.release(db, step_id, token, actor="mcp")

        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield
            finally:
                with anyio.CancelScope(shield=True):
                    for sessions in self._sessions.values():
                        await anyio.to_thread.run_sync(sessions.end_all, give_back)
                group.cancel_scope.cancel()
                self._group = None
                self._managers.clear()
                self._sessions.clear()
                for client in self._clients:
                    client.close()
                self._clients.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = bearer_key(dict(scope.get("headers") or []))
        try:
            principal = authenticate(self._keys, key)
        except AuthenticationFailed as error:
            await send_error(send, 401, error_body(error.code, error.message))
            return
        assert key is not None  # authenticate refuses a missing key
        manager = await self._manager(key, principal, scope)
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await manager.handle_request(scope, receive, watch)
        if scope.get("method") == "DELETE" and status and 200 <= status[0] < 300:
            # The client ended its session (the SDK agreed): what it still holds is READY
            # again at once.
            session_id = dict(scope.get("headers") or []).get(SESSION_HEADER.encode())
            sessions = self._sessions.get(_name(key))
            if session_id and sessions is not None:
                await anyio.to_thread.run_sync(sessions.end, session_id.decode("latin-1"))

    async def _manager(
        self, key: str, principal: Principal, scope: Scope
    ) -> StreamableHTTPSessionManager:
        name = _name(key)
        async with self._lock:
            manager = self._managers.get(name)
            if manager is not None:
                return manager
            if self._group is None:
                raise RuntimeError("McpEndpoint.running() is not active")
            client = ApiClient(_own_url(scope), api_key=key)
            self._clients.append(client)
            sessions = SessionLeases(client)
            self._sessions[name] = sessions
            server = build_server(
                client, principal.role.value, principal.name, principal.agent, sessions
            )
            server.streamable_http_app(transport_security=_OPEN)
            manager = server.session_manager
            await self._group.start(_run, manager)
            self._managers[name] = manager
            return manager


async def _run(manager: StreamableHTTPSessionManager, *, task_status: TaskStatus[None]) -> None:
    async with manager.run():
        task_status.started()
        await anyio.sleep_forever()


def _name(key: str) -> str:
    """The name a key's server is kept under (not the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _own_url(scope: Scope) -> str:
    """This server's address as the request reached it (its tools call the API there)."""
    host, port = scope.get("server") or ("127.0.0.1", 80)
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"
