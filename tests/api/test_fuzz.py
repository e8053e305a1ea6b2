"""The OpenAPI fuzz run (issue 18): schemathesis generates requests from /openapi.json,
valid and not, with an admin key and a worker key, against the real API and Neo4j.
No answer may be a server error, and every answer must match the spec: a declared
status, the declared content type, the declared body (errors: the error body)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from graphsvc.api.app import create_app
from graphsvc.settings import Settings
from tests.helpers import auth

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _TestApp:
    """An ASGI app that passes requests on to ``target`` and answers lifespan events
    itself: schemathesis reads the schema at collection, before the test app exists, and
    runs a lifespan of its own, which must not connect anywhere."""

    def __init__(self, target: ASGIApp) -> None:
        self.target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.target(scope, receive, send)
            return
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return


# Until the fixture below hands it the test app: one that only serves /openapi.json.
APP = _TestApp(create_app(Settings(api_keys="unused:admin")))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True, scope="module")
def fuzzed_app(client: TestClient) -> Iterator[None]:
    """Requests go to the test app (on the test Neo4j); the plans the fuzz run started
    are cancelled after each test, as for every test (``tests.conftest.isolated``)."""
    APP.target = client.app
    yield


FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _call(case: schemathesis.Case, role: str) -> None:
    if isinstance(case.body, dict):
        if "wait_seconds" in case.body:
            case.body["wait_seconds"] = 0  # a long poll per example would take minutes
        if role == "worker" and "agent_id" in case.body:
            # The worker key acts only as its agent: reach the claim logic, not only the 403.
            case.body["agent_id"] = "worker-user"
    case.call_and_validate(headers=auth(role), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_an_admin_gets_answers_as_the_spec_says(case: schemathesis.Case) -> None:
    _call(case, "admin")


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_a_worker_gets_answers_as_the_spec_says(case: schemathesis.Case) -> None:
    _call(case, "worker")


# Numbers a careless or hostile client sends where a cursor, a limit or a count goes.
HOSTILE_NUMBERS = (-1, 2**63, 2**64, -(2**64))


def _ids(client: TestClient) -> dict[str, str]:
    """Real ids for the path parameters, so requests reach their handlers."""
    spec = {"name": "hostile", "steps": [{"key": "A", "kind": "noop"}]}
    created = client.post("/v1/plans?start=true", json=spec, headers=auth("admin")).json()
    return {"plan_id": created["id"], "step_id": created["step_ids"]["A"]}


def _declared(answer: Any, operation: Any) -> None:
    """The answer is no server error, a status the operation declares, and (an error)
    the error body."""
    responses = operation.definition.raw["responses"]
    where = f"{operation.method.upper()} {operation.path}"
    assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text}"
    assert str(answer.status_code) in responses or "default" in responses, (
        f"{where}: {answer.status_code} is not declared"
    )
    if answer.status_code >= 400:
        assert set(answer.json()["error"]) == {"code", "message", "details"}, where


@pytest.mark.slow
def test_hostile_numbers_headers_and_cursors_get_answers_as_the_spec_says(
    client: TestClient,
) -> None:
    """What schemathesis's generation rarely sends: every integer query parameter of
    every operation at -1, 2^63, 2^64 and -2^64; two Content-Type headers on every body
    (the test client joins them with a comma, as a proxy may); the stream's
    Last-Event-ID out of range. Each answer as declared, with the error body."""
    ids = _ids(client)
    for result in schema.get_all_operations():
        operation = result.ok()
        path = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), operation.path)
        params = operation.definition.raw.get("parameters", [])
        integers = [
            p["name"]
            for p in params
            if p["in"] == "query" and "integer" in json.dumps(p.get("schema", {}))
        ]
        for name in integers:
            for number in HOSTILE_NUMBERS:
                answer = client.request(
                    operation.method.upper(), path, params={name: number}, headers=auth("admin")
                )
                _declared(answer, operation)
        if "requestBody" in operation.definition.raw:
            headers = httpx.Headers(
                [
                    *auth("admin").items(),
                    ("content-type", "application/json"),
                    ("content-type", "application/json"),
                ]
            )
            answer = client.request(operation.method.upper(), path, content=b"{}", headers=headers)
            _declared(answer, operation)
            assert answer.status_code == 422 and "Content-Type" in answer.text
        if path.endswith("/events/stream"):
            for last in ("-1", str(2**64), "x", f"{ids['plan_id']}:{2**63}"):
                headers = {**auth("admin"), "Last-Event-ID": last}
                _declared(client.get(path, headers=headers), operation)
