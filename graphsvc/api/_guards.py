"""ASGI guards around every request: a body size limit, one reading of a JSON body, and
one error body for what nothing else caught.

- A request with a body to ``/v1/...`` without a valid API key is a 401 before
  its body is read: a caller without a key cannot make the server buffer or parse
  anything.
- A body larger than ``GRAPHSVC_MAX_BODY_BYTES`` (default 16 MiB) is a 413,
  judged by ``Content-Length`` first and by the bytes received otherwise.
- A request with more than one ``Content-Type`` header is a 422: the guards and the
  route would read different ones.
- A JSON body (``application/json`` or ``application/*+json``, in any case) is read once, by
  ``api._json.read_json``, in a worker thread, not on the event loop: what it refuses
  (not JSON, a key twice, numbers beyond a double or 64 bits, nesting deeper than
  ``MAX_JSON_DEPTH``) is a 422 naming where; the value it read is the one the route
  gets (``ParsedJsonRoute``).
- An exception no handler took becomes a 500 with the error body
  ``{"error": {"code": "internal_error", ...}}``, logged with its traceback; the
  connection stays usable (uvicorn closes it when the app raises).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc._errors import AuthenticationFailed, Problem, ValidationFailed
from graphsvc.api._json import PARSED_BODY, BodyProblem, read_json
from graphsvc.api.auth import Principal, authenticate
from graphsvc.api.errors import error_body

__all__ = ["CatchAll", "LimitBodies"]

log = logging.getLogger("graphsvc.api")


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


# A comma outside a quoted parameter value separates two media types in one header.
_UNQUOTED_COMMA = re.compile(rb',(?=(?:[^"]*"[^"]*")*[^"]*$)')


def _is_json(content_type: bytes) -> bool:
    """Whether FastAPI reads a body of this type as JSON: ``application/json`` or
    ``application/*+json``, in any case (a body with no type is not JSON: FastAPI's
    strict content type, which keeps a page's form posts from passing as JSON)."""
    media = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class LimitBodies:
    """Refuse, before any route reads them, bodies sent without a valid key to ``/v1/``
    (401), bodies over ``max_bytes`` (413), requests with two ``Content-Type`` headers
    and JSON that ``read_json`` refuses (422); keep the JSON value read for the route.
    ``keys`` are the API's keys."""

    def __init__(self, app: ASGIApp, max_bytes: int, keys: dict[str, Principal]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        raw = scope.get("headers") or []
        headers = dict(raw)
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
        # Two headers, or one that lists two types (a client may join repeated headers
        # with commas, as RFC 9110 section 5.3 allows for lists).
        types = [
            part.strip()
            for name, value in raw
            if name.lower() == b"content-type"
            for part in _UNQUOTED_COMMA.split(value)
            if part.strip()
        ]
        if len(types) > 1:
            problem = Problem("Content-Type", f"{len(types)} Content-Type values; send one")
            await _refuse(send, problem)
            return
        if body and scope["path"].startswith("/v1/") and _is_json(types[0] if types else b""):
            try:
                scope[PARSED_BODY] = await run_in_threadpool(read_json, body)
            except BodyProblem as refused:
                await _refuse(send, refused.problem)
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


async def _refuse(send: Send, problem: Problem) -> None:
    refused = ValidationFailed([problem])
    await send_error(send, 422, error_body(refused.code, refused.message, refused.details))


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
