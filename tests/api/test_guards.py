"""The request guards, without Neo4j: one reading of a JSON body with its limits, and
one error body for an exception nothing handled, on a connection that stays usable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graphsvc.api._guards import CatchAll, LimitBodies
from graphsvc.api._json import MAX_JSON_DEPTH, BodyProblem, read_json
from graphsvc.api.auth import Principal, Role


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return value


def _refused(value: Any) -> str:
    with pytest.raises(BodyProblem) as refused:
        read_json(json.dumps(value).encode())
    return f"{refused.value.problem.location}: {refused.value.problem.message}"


def test_a_body_nested_too_deep_is_refused_naming_the_first_place_past_the_limit() -> None:
    assert read_json(json.dumps({"a": _nested(MAX_JSON_DEPTH - 1)}).encode())
    where = "a.b[0]" + "[0]" * (MAX_JSON_DEPTH - 3)
    assert _refused({"a": {"b": [_nested(MAX_JSON_DEPTH)]}}).startswith(f"{where}: JSON nested")
    with pytest.raises(BodyProblem, match="nested deeper"):
        read_json(b"[" * 100_000 + b"]" * 100_000)  # no recursion limit to hit


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"a": {"n": 1, "n": 2}}', "a: the key 'n' appears twice"),
        (b'{"n": 1e400}', "n: a number that does not fit a finite double"),
        (b'{"n": [NaN]}', "n[0]: a number that does not fit a finite double"),
        (b'{"n": -Infinity}', "n: a number that does not fit a finite double"),
        (b'{"n": 9223372036854775808}', "n: an integer that does not fit in 64 bits"),
        (b'{"n": -9223372036854775809}', "n: an integer that does not fit in 64 bits"),
        (b'{"n": 1' + b"0" * 5000 + b"}", "n: an integer that does not fit in 64 bits"),
        (b'{"n": ', "body: not valid JSON"),
        (b'{"n": "\xff"}', "body: not valid JSON"),
    ],
)
def test_a_body_is_read_once_with_every_limit(body: bytes, said: str) -> None:
    with pytest.raises(BodyProblem) as refused:
        read_json(body)
    problem = refused.value.problem
    assert f"{problem.location}: {problem.message}".startswith(said)


def test_numbers_at_the_limits_are_read_as_they_are() -> None:
    body = b'{"big": 9223372036854775807, "small": -9223372036854775808, "x": 1.7e308}'
    assert read_json(body) == {"big": 2**63 - 1, "small": -(2**63), "x": 1.7e308}


KEY = {"Authorization": "Bearer k"}


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/v1/echo")
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    keys = {"k": Principal("tester", Role.ADMIN)}
    app.add_middleware(LimitBodies, max_bytes=1024, keys=keys)
    app.add_middleware(CatchAll)
    return app


def test_an_unhandled_exception_is_a_500_with_the_error_body() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        answer = client.get("/boom")
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal_error"
        assert client.post("/v1/echo", json={"a": 1}, headers=KEY).json() == {"a": 1}


def test_bodies_over_the_limit_or_too_deep_are_refused_before_the_route() -> None:
    with TestClient(_app()) as client:
        assert client.post("/v1/echo", json={"a": "x" * 2000}, headers=KEY).status_code == 413
        deep = client.post("/v1/echo", json={"a": _nested(MAX_JSON_DEPTH + 5)}, headers=KEY)
        assert deep.status_code == 422
        assert deep.json()["error"]["details"]["problems"][0]["location"].startswith("a[0]")
