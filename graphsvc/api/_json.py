"""One reading of a request's JSON body (issue 30): parsed once, by ``read_json``, with
every limit applied to that same parse, and handed to the route as it is.

``read_json`` refuses, each as a ``Problem`` naming where:
- text that is not JSON (or not UTF-8);
- an object with the same key twice (RFC 8259 section 4 leaves duplicate names to the
  implementation; Python's ``json`` keeps the last one silently, so a body could mean two
  things to two readers);
- ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON at all: RFC 8259 section 6), numbers
  that overflow a double (``1e400``, which Python reads as ``inf`` and JSON writes as
  ``null``), and integers outside 64 bits (Neo4j's integers);
- arrays and objects nested deeper than ``MAX_JSON_DEPTH`` (stored, such a value broke
  every read of it later: pydantic's serializer stops at a few hundred levels).

``LimitBodies`` (``api._guards``) calls it once per JSON body and keeps the value in the
request's scope; ``ParsedJsonRoute`` makes FastAPI's ``request.json()`` answer that value
instead of parsing the body a second time (FastAPI's documented custom ``Request`` and
``APIRoute`` pattern).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from graphsvc._errors import Problem

__all__ = [
    "MAX_JSON_DEPTH",
    "PARSED_BODY",
    "BodyProblem",
    "ParsedJsonRoute",
    "read_json",
]

MAX_JSON_DEPTH = 64
# The scope key under which ``LimitBodies`` keeps the parsed body.
PARSED_BODY = "graphsvc.json_body"

_INT64 = (-(2**63), 2**63 - 1)


class BodyProblem(ValueError):
    """A JSON body ``read_json`` refuses; ``problem`` says where and what."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.problem = Problem(location, message)


class _Twice(dict[str, Any]):
    """An object in which a key appeared more than once (``twice`` names it)."""

    twice: str = ""


class _Flags:
    """What the parser's hooks saw while reading one body: whether it breaks a limit
    (then a second pass finds where and why)."""

    def __init__(self) -> None:
        self.broken = False

    def object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) == len(pairs):
            return value
        self.broken = True
        seen: set[str] = set()
        marked = _Twice(value)
        marked.twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        return marked

    def integer(self, text: str) -> int:
        # A 64-bit integer has at most 19 digits: longer text is out of range without
        # converting it (Python refuses to convert over 4,300 digits at all).
        if len(text) < 19:
            return int(text)
        value = int(text) if len(text) <= 21 else _INT64[1] + 1
        if not _INT64[0] <= value <= _INT64[1]:
            self.broken = True
        return value

    def number(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value):  # 1e400: beyond a double, read as inf
            self.broken = True
        return value

    def constant(self, text: str) -> float:
        self.broken = True  # NaN, Infinity, -Infinity: not JSON (RFC 8259 section 6)
        return float(text)


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` arrays or objects: level by level, no
    paths built (the cost of a valid body)."""
    level = [value]
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                kind = type(child)
                if kind is dict or kind is list:
                    deeper.append(child)
        level = deeper
        depth += 1
    return False


def _scalar_problem(item: Any) -> str | None:
    if isinstance(item, float) and not math.isfinite(item):
        return "a number that does not fit a finite double (NaN, Infinity, or beyond 1.8e308)"
    in_range = _INT64[0] <= item <= _INT64[1] if isinstance(item, int) else True
    if not in_range and not isinstance(item, bool):
        return "an integer that does not fit in 64 bits"
    return None


def _first_problem(value: Any, limit: int = MAX_JSON_DEPTH, scalars: bool = True) -> Problem | None:
    """The first place ``value`` breaks a limit of ``read_json``, with its JSON path as
    the API's problems name fields (``steps[0].inputs``; ``body`` for the whole body);
    without ``scalars``, only the depth and the keys are checked (the numbers were, by
    the parser). Iterative: the depth of the input cannot exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if not isinstance(item, (dict, list)):
            why = _scalar_problem(item)
            if why is not None:
                return Problem(path or "body", why)
            continue
        if depth > limit:
            return Problem(path or "body", f"JSON nested deeper than {limit} levels")
        if isinstance(item, _Twice):
            return Problem(path or "body", f"the key {item.twice!r} appears twice in one object")
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            stack.append((child, depth + 1, _child_path(path, key)))
    return None


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def read_json(body: bytes) -> Any:
    """The value of a JSON body, read once with the API's limits (module docstring).
    Raises ``BodyProblem`` naming the first place that breaks one. The parser's hooks
    see repeated keys, NaN or Infinity and numbers that do not fit as they are read;
    only a body that breaks a limit is walked whole to say where (a valid body costs a
    walk of its arrays and objects for their depth)."""
    flags = _Flags()
    try:
        value = json.loads(
            body,
            object_pairs_hook=flags.object,
            parse_int=flags.integer,
            parse_float=flags.number,
            parse_constant=flags.constant,
        )
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}"
        raise BodyProblem("body", f"not valid JSON: {exc.msg} at {at}") from None
    except UnicodeDecodeError:
        raise BodyProblem("body", "not valid JSON: the text is not UTF-8") from None
    except ValueError:  # an integer of more than 4,300 digits: Python will not convert it
        raise BodyProblem("body", "an integer that does not fit in 64 bits") from None
    except RecursionError:
        raise BodyProblem("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if isinstance(value, (dict, list)) and (flags.broken or _too_deep(value, MAX_JSON_DEPTH)):
        found = _first_problem(value)
        if found is not None:
            raise BodyProblem(found.location, found.message)
    return value


class _ParsedJsonRequest(Request):
    """A request whose ``json()`` is the value ``LimitBodies`` read (``read_json``)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            parsed = self.scope.get(PARSED_BODY, _UNREAD)
            self._json = read_json(await self.body()) if parsed is _UNREAD else parsed
        return self._json


_UNREAD = object()


class ParsedJsonRoute(APIRoute):
    """The API's routes: their JSON bodies are the values read once by ``read_json``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed(request: Request) -> Response:
            return await handler(_ParsedJsonRequest(request.scope, request.receive))

        return parsed
