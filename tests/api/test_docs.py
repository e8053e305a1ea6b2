"""API docs that work offline (issue 23): ``/docs`` and ``/redoc`` load only files shipped
in the wheel (no CDN), and the OpenAPI spec has stable operationIds and declares the
error body of every error status."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

ERRORS = {"401", "403", "404", "409", "413", "422", "503"}


def test_the_docs_pages_load_only_files_of_their_own(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        urls += re.findall(r"(?:url|openapi_url): *['\"]([^'\"]+)['\"]", html.text)
        assert urls, page
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            assert client.get(url).status_code == 200, url
        assert "cdn" not in html.text.lower() and "googleapis" not in html.text


def test_the_spec_has_stable_operation_ids_and_declares_error_bodies(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}
    assert len(operations) == sum(len(p) for p in spec["paths"].values())  # unique
    for name in (
        "create_plan",
        "claim_steps",
        "complete_step",
        "fail_step",
        "list_plans",
        "get_status_tree",
        "replan_plan",
        "stream_events",
        "approve_decision",
    ):
        assert name in operations, name
    for name in ("create_plan", "claim_steps", "cancel_step"):
        declared = set(operations[name]["responses"])
        assert declared >= ERRORS, (name, ERRORS - declared)
        body = operations[name]["responses"]["409"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith("/ErrorBody")
