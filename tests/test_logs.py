"""Logs (issue 23): ``graphsvc serve`` with ``GRAPHSVC_LOG_FORMAT=json`` writes JSON lines,
each line of a request with its request id (the client's ``X-Request-ID``, sent back) and
the plan id its path names; the text format says the same in words."""

from __future__ import annotations

import json

import httpx
import pytest

from graphsvc.store import Neo4jTarget
from tests.helpers import auth, serve_process

REQUEST_ID = "req-42.a:b_c"


def _serve_and_ask(target: Neo4jTarget, fmt: str) -> tuple[httpx.Response, str]:
    with serve_process(target, {"GRAPHSVC_LOG_FORMAT": fmt}) as served:
        headers = {**auth("viewer"), "X-Request-ID": REQUEST_ID}
        answer = httpx.get(f"{served.url}/v1/plans/no-such-plan", headers=headers)
    return answer, served.stderr


@pytest.mark.slow
def test_json_lines_carry_the_request_and_plan_ids(neo4j_target: Neo4jTarget) -> None:
    answer, stderr = _serve_and_ask(neo4j_target, "json")
    assert answer.status_code == 404
    assert answer.headers["X-Request-ID"] == REQUEST_ID
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "name", "message"} <= set(line) for line in lines)
    mine = [line for line in lines if line.get("request_id") == answer.headers["X-Request-ID"]]
    assert mine and all(line["plan_id"] == "no-such-plan" for line in mine)
    assert any("404" in line["message"] for line in mine)  # uvicorn's access line


@pytest.mark.slow
def test_text_lines_say_the_same_in_words(neo4j_target: Neo4jTarget) -> None:
    answer, stderr = _serve_and_ask(neo4j_target, "text")
    assert answer.status_code == 404
    [line] = [line for line in stderr.splitlines() if "no-such-plan" in line and "404" in line]
    assert f"[{REQUEST_ID}]" in line and "plan=no-such-plan" in line
