"""``GET /v1/plans/{id}/events/stream`` (issue 23): Server-Sent Events of a running plan,
from start to COMPLETED, resumed with ``Last-Event-ID`` without a gap or a repeat; the
family stream carries the child plans' events too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema

from graphsvc.domain import parse_spec
from graphsvc.engine import children, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import auth


def _messages(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The SSE messages of a streamed response: ``{id, event, data}``."""
    message: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in message or "data" in message:
                yield message
            message = {}
        elif line.startswith(":"):
            continue  # a ping
        else:
            field, _, value = line.partition(":")
            message[field] = value.removeprefix(" ")


def _follow(
    api: str, path: str, stop: int | None = None, last: str | None = None
) -> list[dict[str, Any]]:
    headers = {**auth("viewer"), **({"Last-Event-ID": last} if last else {})}
    got: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{api}{path}", headers=headers, timeout=30) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in _messages(response):
            got.append(message)
            if message["event"] == "end" or (stop is not None and len(got) >= stop):
                break
    return got


def _finish(db: Database, kind: str, plan_ids: list[str]) -> None:
    for step in work.claim(db, "streamer", [kind], [], max_steps=10, plan_ids=plan_ids):
        work.complete(db, step["id"], step["lease_token"], {}, {})


def test_a_plan_is_followed_to_its_end_and_resumed_without_a_gap(
    live_api: str, db: Database
) -> None:
    kind = f"streamed-{new_id()[-8:]}"
    spec = {"name": "streamed", "steps": [{"key": f"S{i}", "kind": kind} for i in range(3)]}
    plan_id = create_plan(db, parse_spec(spec)).id
    lifecycle.transition_plan(db, plan_id, "start")
    path = f"/v1/plans/{plan_id}/events/stream"
    first = _follow(live_api, path, stop=2)  # then the client goes away
    _finish(db, kind, [plan_id])
    rest = _follow(live_api, path, last=first[-1]["id"])
    assert rest[-1]["event"] == "end"
    seqs = [int(m["id"]) for m in first + rest[:-1]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert rest[-2]["event"] == "PLAN_COMPLETED"
    assert json.loads(rest[-2]["data"])["plan_id"] == plan_id
    assert json.loads(rest[-1]["data"]) == {"plan_id": plan_id, "status": "COMPLETED"}
    # Every message's data is as the API publishes it (the 200's x-itemSchema).
    spec = httpx.get(f"{live_api}/openapi.json").json()
    content = spec["paths"]["/v1/plans/{plan_id}/events/stream"]["get"]["responses"]["200"]
    item_schema = content["content"]["text/event-stream"]["x-itemSchema"]
    for message in first + rest:
        jsonschema.validate(json.loads(message["data"]), item_schema)
    # tail: no history, only what comes (nothing more here: the plan has ended).
    assert [m["event"] for m in _follow(live_api, path + "?tail=true")] == ["end"]
    missing = httpx.get(f"{live_api}/v1/plans/nope/events/stream", headers=auth("viewer"))
    assert missing.status_code == 404
    assert httpx.get(f"{live_api}{path}").status_code == 401


def test_a_family_stream_carries_the_child_plans_events(live_api: str, db: Database) -> None:
    kind = f"streamed-family-{new_id()[-8:]}"
    root = create_plan(db, parse_spec({"name": "root", "steps": [{"key": "S", "kind": kind}]})).id
    lifecycle.transition_plan(db, root, "start")
    [spawner] = work.claim(db, "streamer", [kind], [])
    child_spec = parse_spec({"name": "child", "steps": [{"key": "K", "kind": kind}]})
    [child] = children.spawn(db, spawner["id"], spawner["lease_token"], [child_spec])
    _finish(db, kind, [child])
    got = _follow(live_api, f"/v1/plans/{root}/events/stream?family=true")
    assert got[-1]["event"] == "end"
    plans = {json.loads(m["data"])["plan_id"] for m in got[:-1]}
    assert plans == {root, child}
    cursor = dict(part.rsplit(":", 1) for part in got[-2]["id"].split(","))
    assert set(cursor) == {root, child}
    again = _follow(live_api, f"/v1/plans/{root}/events/stream?family=true", last=got[-2]["id"])
    assert [m["event"] for m in again] == ["end"]


def test_cursors_out_of_range_are_a_422_naming_them(client: Any, db: Database) -> None:
    plan_id = create_plan(
        db, parse_spec({"name": "cursors", "steps": [{"key": "A", "kind": "noop"}]})
    ).id
    lifecycle.transition_plan(db, plan_id, "start")
    stream = f"/v1/plans/{plan_id}/events/stream"
    last = client.get(f"/v1/plans/{plan_id}/events", headers=auth("viewer")).json()[-1]["seq"]
    refused = {
        "negative": client.get(stream, headers={**auth("viewer"), "Last-Event-ID": "-1"}),
        "2^64": client.get(stream, headers={**auth("viewer"), "Last-Event-ID": str(2**64)}),
        "beyond": client.get(stream, headers={**auth("viewer"), "Last-Event-ID": str(last + 5)}),
        "after 2^63": client.get(stream, params={"after": 2**63}, headers=auth("viewer")),
        "steps_after 2^64": client.get(
            f"/v1/plans/{plan_id}", params={"steps_after": 2**64}, headers=auth("viewer")
        ),
    }
    for name, answer in refused.items():
        assert answer.status_code == 422, (name, answer.text)
        text = json.dumps(answer.json()["error"])
        assert "Last-Event-ID" in text or "after" in text, (name, text)
    assert "beyond the plan's last event" in refused["beyond"].json()["error"]["message"]
    lifecycle.transition_plan(db, plan_id, "cancel")
