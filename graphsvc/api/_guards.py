"""ASGI guards around every request: a body size limit, a JSON nesting limit, and one
error body for what nothing else caught.

- A request with a body to ``/v1/...`` without a valid API key is a 401 before
  its body is read: a caller without a key cannot make the server buffer or parse
  anything.
- A body larger than ``GRAPHSVC_MAX_BODY_BYTES`` (default 16 MiB) is a 413,
  judged by ``Content-Length`` first and by the bytes received otherwise.
- A JSON body (any ``*json`` type, in any case, or no type at all: FastAPI parses
  those as JSON too) nested deeper than ``MAX_JSON_DEPTH`` levels is a 422 naming
  where: stored, such a value broke every read of it later (pydantic's serializer
  stops at a few hundred levels). The check runs in a worker thread, not on the
  event loop.
- An exception no handler took becomes a 500 with the error body
  ``{"error": {"code": "internal_error", ...}}``, logged with its traceback; the
  connection stays usable (uvicorn closes it when the app raises).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc._errors import AuthenticationFailed
from graphsvc.api.auth import Principal, authenticate
from graphsvc.api.errors import error_body

__all__ = ["MAX_JSON_DEPTH", "CatchAll", "LimitBodies", "json_too_deep"]

log = logging.getLogger("graphsvc.api")

MAX_JSON_DEPTH = 64


def json_too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The JSON path of the first place ``value`` nests deeper than ``limit`` arrays or
    objects, or None. Iterative: the depth of the input cannot exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        item, depth, path = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            return path
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, (dict, list)):
                where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
                stack.append((child, depth + 1, where))
    return None


async def send_error(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def bearer_key(headers: dict[bytes, bytes]) -> str | None:
    scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def _is_json(content_type: bytes) -> bool:
    media = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    return not media or media.endswith("/json") or media.endswith("+json")


def _depth_problem(body: bytes) -> str | None:
    try:
        return json_too_deep(json.loads(body))
    except (ValueError, RecursionError):
        return None  # not JSON, or deeper than the parser goes: FastAPI says 422


class LimitBodies:
    """Refuse, before any route reads them, bodies sent without a valid key to ``/v1/``
    (401), bodies over ``max_bytes`` (413) and JSON nested deeper than
    ``MAX_JSON_DEPTH`` (422). ``keys`` are the API's keys."""

    def __init__(self, app: ASGIApp, max_bytes: int, keys: dict[str, Principal]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope["path"].startswith("/v1/") or scope["path"] == "/mcp":
            try:
                authenticate(self.keys, bearer_key(headers))
            except AuthenticationFailed as exc:
                await send_error(send, 401, error_body(exc.code, exc.message))
                return
        declared = headers.get(b"content-length", b"").decode() or "0"
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(headers.get(b"content-type", b"")):
            where = await run_in_threadpool(_depth_problem, body)
            if where is not None:
                problem = {"location": where, "message": f"nested deeper than {MAX_JSON_DEPTH}"}
                await send_error(
                    send,
                    422,
                    error_body(
                        "validation_failed",
                        f"1 problem(s): {where}: JSON nested deeper than {MAX_JSON_DEPTH} levels",
                        {"problems": [problem]},
                    ),
                )
                return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        message = (
            f"the request body is larger than {self.max_bytes} bytes (GRAPHSVC_MAX_BODY_BYTES); "
            "send less per request"
        )
        await send_error(send, 413, error_body("too_large", message))


class CatchAll:
    """Answer any exception that escaped the handlers as a 500 with the error body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if started:
                raise
            message = "an unexpected server error; the server logged it with its traceback"
            await send_error(send, 500, error_body("internal_error", message))
