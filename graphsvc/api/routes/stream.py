"""A live event stream (issue 23): ``GET /v1/plans/{id}/events/stream``, Server-Sent Events
of a plan's events as they are written, resumable with ``Last-Event-ID``; with
``?family=true`` the events of the plan's child plans too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from graphsvc._errors import NotFoundError, Problem, ValidationFailed
from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import DbDep, Reader
from graphsvc.domain.models import MAX_SEQ, StreamedEvent, StreamEnd
from graphsvc.domain.states import PLAN_TERMINAL
from graphsvc.engine import lifecycle
from graphsvc.store import Database
from graphsvc.store._queries import engine_query

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1/plans", tags=["plans"])

_FAMILY = engine_query("list_plan_family")
_STATUS = engine_query("get_plan_status")
POLL_SECONDS = 0.25
_PAGE = 500


def parse_cursor(last_event_id: str | None, plan_id: str, family: bool) -> dict[str, int]:
    """The position to resume from, by plan: a plan's stream numbers events by their
    ``seq``; a family's by ``plan_id:seq`` pairs joined with ``,`` (one per plan seen).
    ``ValidationFailed`` for an id of neither form, or a number below 0 or beyond a
    64-bit integer."""
    if not last_event_id:
        return {}
    try:
        if not family:
            cursor = {plan_id: int(last_event_id)}
        else:
            pairs = (part.rsplit(":", 1) for part in last_event_id.split(",") if part)
            cursor = {pid: int(seq) for pid, seq in pairs}
    except ValueError:
        raise ValidationFailed(
            [Problem("Last-Event-ID", "not an event id of this stream")]
        ) from None
    if any(not 0 <= seq <= MAX_SEQ for seq in cursor.values()):
        raise ValidationFailed(
            [Problem("Last-Event-ID", "an event number is between 0 and 2^63 - 1")]
        )
    return cursor


def check_cursor(cursor: dict[str, int], plans: dict[str, tuple[str, int]]) -> None:
    """``ValidationFailed`` when the cursor names an event beyond a plan's last one (a
    client that resumes from it would wait for ever, or skip events to come)."""
    beyond = [
        f"{pid}: {seq} > {plans[pid][1]}"
        for pid, seq in sorted(cursor.items())
        if pid in plans and seq > plans[pid][1]
    ]
    if beyond:
        raise ValidationFailed(
            [Problem("Last-Event-ID", f"beyond the plan's last event ({'; '.join(beyond)})")]
        )


def _family_ids(cursor: dict[str, int]) -> str:
    return ",".join(f"{pid}:{seq}" for pid, seq in sorted(cursor.items()))


def _plans(db: Database, plan_id: str, family: bool) -> dict[str, tuple[str, int]]:
    """The plans the stream follows, by id, with their statuses and last event seqs."""
    query = _FAMILY if family else _STATUS
    rows = db.read(lambda tx: tx.run(query, plan_id=plan_id).data())
    return {r["id"]: (r["status"], int(r["seq"])) for r in rows}


def _still_followed(
    db: Database, plan_id: str, family: bool, following: dict[str, tuple[str, int]]
) -> dict[str, tuple[str, int]]:
    """The plans to follow next round: the family now, and every plan followed before
    (a replanned child plan leaves the family in the commit that writes its last events:
    it is followed until it has ended and they were sent)."""
    now = _plans(db, plan_id, family)
    for gone in set(following) - set(now):
        now.update(_plans(db, gone, False))
    return now


@router.get(
    "/{plan_id}/events/stream",
    # The stream is the 200's alone: errors keep the JSON error body. Its messages' data
    # is published as ``x-itemSchema`` (OpenAPI 3.2's ``itemSchema``, the schema of each item of a
    # stream, as an extension of this 3.1 document).
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "x-itemSchema": {
                        "oneOf": [
                            StreamedEvent.model_json_schema(),
                            StreamEnd.model_json_schema(),
                        ]
                    },
                }
            },
            "description": "The event stream: each message's data is a StreamedEvent, "
            "the last one's (event: end) a StreamEnd.",
        }
    },
)
async def stream_events(
    plan_id: str,
    request: Request,
    db: DbDep,
    _: Reader,
    family: Annotated[bool, Query(description="Also the events of its child plans.")] = False,
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="Start after this seq (a plan's stream).")
    ] = 0,
    tail: Annotated[
        bool, Query(description="Start after the events written so far (no history).")
    ] = False,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """The plan's events as they are written: one SSE message per event (``event:`` its
    type, ``data:`` the event as JSON with its ``plan_id``, ``id:`` its ``seq``, or for a
    family stream every plan's last ``seq`` as ``plan_id:seq,...``). A client that
    reconnects with ``Last-Event-ID`` (browsers do) misses nothing and sees nothing
    twice. With ``tail`` the stream starts after the events written so far (a page that
    draws the plan's state needs no history, and resumes by drawing it again). When the
    plan (and, for a family, every plan of it) has ended and every event was sent, an
    ``end`` message closes the stream (its data: the plan's id and final status). 404
    for an unknown plan; 422 for a ``Last-Event-ID`` that is not one of this stream's,
    below 0, or beyond the plan's last event."""
    cursor = parse_cursor(last_event_id, plan_id, family) or ({plan_id: after} if after else {})
    plans = await run_in_threadpool(_plans, db, plan_id, family)
    if plan_id not in plans:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    if last_event_id:
        check_cursor(cursor, plans)
    if tail and not last_event_id:
        cursor = {pid: seq for pid, (_, seq) in plans.items()}

    async def events() -> AsyncIterator[ServerSentEvent]:
        following = plans
        while not await request.is_disconnected():
            # Statuses before events: a plan's end commits with its last events, so a plan
            # seen ended here has all its events readable below.
            ended = all(status in PLAN_TERMINAL for status, _ in following.values())
            sent = 0
            for pid in sorted(following):
                page = await run_in_threadpool(
                    lifecycle.list_events, db, pid, cursor.get(pid, 0), _PAGE
                )
                for event in page:
                    cursor[pid] = event.seq
                    sent += 1
                    streamed = StreamedEvent(**event.model_dump(), plan_id=pid)
                    yield ServerSentEvent(
                        data=streamed.model_dump_json(),
                        event=event.type,
                        id=_family_ids(cursor) if family else str(event.seq),
                    )
            if sent == 0:
                if ended:
                    end = StreamEnd(plan_id=plan_id, status=following[plan_id][0])
                    yield ServerSentEvent(data=end.model_dump_json(), event="end")
                    return
                await asyncio.sleep(POLL_SECONDS)
            following = await run_in_threadpool(_still_followed, db, plan_id, family, following)

    return EventSourceResponse(events(), ping=15)
