"""Wake-ups for long-polling claims: a write in this API process that may have made steps
READY wakes the claims waiting in it at once, instead of at their next poll.

Writes in other API processes are seen at the next poll (``CLAIM_POLL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["CLAIM_POLL_SECONDS", "WorkSignal"]

CLAIM_POLL_SECONDS = 0.5


class WorkSignal:
    """An edge-triggered signal on the event loop: ``notify`` wakes every current waiter."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake whoever waits now (call on the event loop)."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return on the next ``notify`` or after ``timeout`` seconds, whichever is first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
