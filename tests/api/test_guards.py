"""The request guards, without Neo4j: the nesting check, and one error body for an
exception nothing handled, on a connection that stays usable."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from graphsvc.api._guards import MAX_JSON_DEPTH, CatchAll, LimitBodies, json_too_deep


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    return value


def test_json_too_deep_names_the_first_place_past_the_limit() -> None:
    assert json_too_deep({"a": _nested(MAX_JSON_DEPTH - 1)}) is None
    assert json_too_deep({"a": {"b": [_nested(MAX_JSON_DEPTH)]}}) == "body.a.b[0]" + "[0]" * (
        MAX_JSON_DEPTH - 3
    )
    assert json_too_deep(_nested(100_000)) is not None  # no recursion limit to hit


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    app.add_middleware(LimitBodies, max_bytes=1024, keys={})  # /echo is not under /v1/
    app.add_middleware(CatchAll)
    return app


def test_an_unhandled_exception_is_a_500_with_the_error_body() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        answer = client.get("/boom")
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal_error"
        assert client.post("/echo", json={"a": 1}).json() == {"a": 1}


def test_bodies_over_the_limit_or_too_deep_are_refused_before_the_route() -> None:
    with TestClient(_app()) as client:
        assert client.post("/echo", json={"a": "x" * 2000}).status_code == 413
        deep = client.post("/echo", json={"a": _nested(MAX_JSON_DEPTH + 5)})
        assert deep.status_code == 422
        assert deep.json()["error"]["details"]["problems"][0]["location"].startswith("body.a")
