"""Wake-ups for long-polling claims: a write in this API process that may have made steps
READY wakes the claims waiting in it at once, instead of at their next poll.

Writes in other API processes are seen at the next poll (``CLAIM_POLL_SECONDS``).

Claims that ask for the same thing (one agent, kinds and capabilities: the slots
of one worker) share what a poll learned: their polls take turns, and one that
found nothing spares the others the query until the next write in this process
or for ``CLAIM_POLL_SECONDS``. Without that, every completion woke every idle
slot into a claim query of its own (a thundering herd that cost the busy slots
their CPU on a small machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc._errors import Unavailable

__all__ = ["CLAIM_POLL_SECONDS", "SharedPoll", "WakeClaims", "WorkSignal"]

CLAIM_POLL_SECONDS = 0.5

T = TypeVar("T")


@dataclass
class SharedPoll:
    """The polls of one kind of claim: taken in turn, the last empty one remembered."""

    signal: WorkSignal
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    empty_generation: int = -1
    empty_at: float = 0.0
    # The last poll that found Neo4j unavailable, and when it ended: the claims that
    # waited their turn behind it get its answer instead of a wait of their own.
    failure: Unavailable | None = None
    failed_at: float = 0.0

    async def poll(self, attempt: Callable[[], Awaitable[list[T]]]) -> list[T]:
        """``attempt()`` unless a poll of the same kind found nothing since the last
        ``notify`` and less than ``CLAIM_POLL_SECONDS`` ago (then ``[]``)."""
        arrived = time.monotonic()
        async with self.lock:
            if self.failure is not None and self.failed_at >= arrived:
                raise Unavailable(self.failure.message, self.failure.details)
            if (
                self.empty_generation == self.signal.generation
                and time.monotonic() - self.empty_at < CLAIM_POLL_SECONDS
            ):
                return []
            generation = self.signal.generation  # read before the query: a write during it counts
            try:
                found = await attempt()
            except Unavailable as exc:
                self.failure, self.failed_at = exc, time.monotonic()
                raise
            if not found:
                self.empty_generation, self.empty_at = generation, time.monotonic()
            return found


class WorkSignal:
    """An edge-triggered signal on the event loop: ``notify`` wakes every current waiter
    and starts a new ``generation``."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.generation = 0
        self._polls: dict[Hashable, SharedPoll] = {}

    def notify(self) -> None:
        """Wake whoever waits now (call on the event loop)."""
        self.generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return on the next ``notify`` or after ``timeout`` seconds, whichever is first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)

    @contextlib.asynccontextmanager
    async def shared_poll(self, key: Hashable) -> AsyncIterator[SharedPoll]:
        """The ``SharedPoll`` of claims asking for ``key``, for as long as one is open."""
        shared = self._polls.setdefault(key, SharedPoll(self))
        shared.users += 1
        try:
            yield shared
        finally:
            shared.users -= 1
            if shared.users == 0:
                del self._polls[key]


class WakeClaims:
    """ASGI middleware: after a successful request other than a GET or a claim (a write
    that may have made steps READY), ``notify`` the app's ``WorkSignal``, unless the
    route set ``request.state.wake_claims = False`` (it knows no step was left READY)."""

    def __init__(self, app: ASGIApp, signal: WorkSignal) -> None:
        self.app = app
        self.signal = signal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET" or scope["path"].endswith("/claim"):
            await self.app(scope, receive, send)
            return
        status = 500
        state = scope.setdefault("state", {})  # request.state: the route may veto the wake-up

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_status)
        if status < 400 and state.get("wake_claims", True):
            self.signal.notify()
