"""The OpenAPI fuzz run (issue 18): schemathesis generates requests from /openapi.json,
valid and not, with an admin key and a worker key, against the real API and Neo4j.
No answer may be a server error, and every answer must match the spec: a declared
status, the declared content type, the declared body (errors: the error body)."""

from __future__ import annotations

from collections.abc import Iterator

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
