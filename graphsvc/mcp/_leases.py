"""The leases an MCP server holds for its agent, heartbeated until reported or lost.

Leases belong to the MCP session that claimed them (``SessionLeases``): over stdio the
session is the ``graphsvc mcp`` process; over ``/mcp`` it is the MCP session
(``Mcp-Session-Id``), so two sessions of one key cannot report each other's steps, and a
session that ends (the client's DELETE, or the server stopping) gives back what it still
holds, READY at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphsvc._errors import ConflictError, GraphsvcError, NotFoundError, PermissionDenied
from graphsvc.worker.client import ApiClient

__all__ = ["MAX_IDLE_SECONDS", "Leases", "SessionLeases"]

log = logging.getLogger("graphsvc.mcp")

# How a session's leases are given back when it ends: (step id, lease token).
GiveBack = Callable[[str, str], object]

# A lease no tool call has used for this long is no longer renewed (``Leases``).
MAX_IDLE_SECONDS = 3600.0


@dataclass
class Leases:
    """The leases this server holds, by step id, heartbeated every third of their length
    until they are reported or lost."""

    client: ApiClient
    # How long a lease is kept alive with no tool call about its step: an agent that
    # claimed a step and forgot it does not hold it for ever (its lease then expires
    # and the sweeper makes the step READY again).
    max_idle_seconds: float = MAX_IDLE_SECONDS
    held: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (token, seconds)
    touched: dict[str, float] = field(default_factory=dict)  # id -> monotonic time of use
    lost: dict[str, str] = field(default_factory=dict)  # id -> why the API took it back
    lock: threading.Lock = field(default_factory=threading.Lock)
    beaten: dict[str, float] = field(default_factory=dict)  # id -> monotonic time of beat
    used: float = field(default_factory=time.monotonic)  # the session's last tool call

    def add(self, step_id: str, token: str, lease_seconds: float) -> None:
        with self.lock:
            self.held[step_id] = (token, lease_seconds)
            self.touched[step_id] = time.monotonic()
            # Claimed again (after a loss): what was said of the old lease no longer holds.
            self.lost.pop(step_id, None)
            self.beaten.pop(step_id, None)

    def touch(self, step_id: str) -> None:
        """A tool call about the step: its lease is in use."""
        with self.lock:
            if step_id in self.held:
                self.touched[step_id] = time.monotonic()

    def token(self, step_id: str) -> str:
        """The token of a lease held here; ``NotFoundError`` naming what to do if none."""
        with self.lock:
            held = self.held.get(step_id)
            why = self.lost.get(step_id)
        if why is not None:
            raise ConflictError(
                f"the lease on step {step_id} was lost ({why}): it was cancelled or taken "
                "back; stop working on it and do not report it",
                {"step_id": step_id},
            )
        if held is None:
            raise NotFoundError(
                f"this MCP session holds no lease on step {step_id}: a lease belongs to the "
                "session that claimed the step; claim steps with claim_steps in this session",
                {"step_id": step_id},
            )
        return held[0]

    def drop(self, step_id: str) -> None:
        with self.lock:
            self.held.pop(step_id, None)
            self.touched.pop(step_id, None)
            self.beaten.pop(step_id, None)

    def forget(self, step_id: str, why: str) -> None:
        """The API refused a call with this step's lease: it is not held any more."""
        self.drop(step_id)
        with self.lock:
            self.lost[step_id] = why

    def release_all(self, give_back: GiveBack | None = None) -> int:
        """Give back every lease still held (the session ends): each step READY again at
        once instead of when its lease expires, through ``give_back(step_id, token)``
        (default: the API's release). Returns how many were given back; a step that
        cannot be (already taken back) is skipped."""
        with self.lock:
            held = {sid: token for sid, (token, _) in self.held.items()}
            self.held.clear()
            self.touched.clear()
        release = give_back or self.client.release
        released = 0
        for step_id, token in held.items():
            try:
                release(step_id, token)
                released += 1
            except GraphsvcError as exc:
                log.info("step %s not given back: %s", step_id, exc.message)
        return released

    def _forget_idle(self) -> None:
        now = time.monotonic()
        with self.lock:
            idle = [sid for sid, at in self.touched.items() if now - at > self.max_idle_seconds]
        for step_id in idle:
            self.drop(step_id)
            with self.lock:
                self.lost[step_id] = (
                    f"no tool call about it for {self.max_idle_seconds:.0f} s, so this server "
                    "stopped renewing its lease"
                )
            log.warning("stopped renewing the lease of idle step %s", step_id)

    def beat(self, step_id: str) -> dict[str, Any]:
        """Renew one lease now and return the API's answer; a lease the API says is gone
        is dropped (and re-raised)."""
        token = self.token(step_id)
        with self.lock:
            seconds = self.held[step_id][1] if step_id in self.held else 60.0
        try:
            return self.client.heartbeat(step_id, token, seconds)
        except (ConflictError, NotFoundError, PermissionDenied) as exc:
            self.drop(step_id)
            with self.lock:
                self.lost[step_id] = exc.message
            log.warning("lease of step %s lost: %s", step_id, exc.message)
            raise

    def tick(self) -> None:
        """Forget idle leases, then renew each lease due (a third of its length since its
        last renewal); a lease the API says is gone is recorded in ``lost``."""
        self._forget_idle()
        now = time.monotonic()
        with self.lock:
            due = [
                sid
                for sid, (_, seconds) in self.held.items()
                if now - self.beaten.get(sid, 0.0) >= seconds / 3
            ]
        for step_id in due:
            try:
                self.beat(step_id)
                self.beaten[step_id] = time.monotonic()
            except (ConflictError, NotFoundError, PermissionDenied):
                pass  # recorded in ``lost`` by beat()
            except GraphsvcError as exc:
                log.warning("heartbeat of step %s not delivered: %s", step_id, exc)


class SessionLeases:
    """The leases of each MCP session of one server, by session id (``None``: the one
    session of a stdio server), heartbeated by one daemon thread started on first use."""

    def __init__(self, client: ApiClient, max_idle_seconds: float = MAX_IDLE_SECONDS) -> None:
        self.client = client
        self.max_idle_seconds = max_idle_seconds
        self._by_session: dict[str | None, Leases] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def of(self, session_id: str | None) -> Leases:
        """The leases of one session, created on its first tool call."""
        with self._lock:
            leases = self._by_session.get(session_id)
            if leases is None:
                leases = Leases(self.client, self.max_idle_seconds)
                self._by_session[session_id] = leases
            leases.used = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mcp-heartbeats", daemon=True
                )
                self._thread.start()
            return leases

    def end(self, session_id: str | None) -> int:
        """The session ended: give back what it still holds (``Leases.release_all``).
        Returns how many steps were given back."""
        with self._lock:
            leases = self._by_session.pop(session_id, None)
        return leases.release_all() if leases is not None else 0

    def end_all(self, give_back: GiveBack | None = None) -> int:
        """The server stops: every session ends, what it holds given back through
        ``give_back`` (``Leases.release_all``). Returns how many steps were given back."""
        self._stop.set()
        with self._lock:
            sessions = list(self._by_session.values())
            self._by_session.clear()
        return sum(leases.release_all(give_back) for leases in sessions)

    def _prune(self) -> None:
        """Forget the sessions that hold nothing and made no tool call for
        ``max_idle_seconds`` (clients that vanished without ending their session)."""
        now = time.monotonic()
        with self._lock:
            for session_id, leases in list(self._by_session.items()):
                if not leases.held and now - leases.used > self.max_idle_seconds:
                    del self._by_session[session_id]

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self._prune()
                with self._lock:
                    sessions = list(self._by_session.values())
                for leases in sessions:
                    leases.tick()
            except Exception:  # one bad round must not stop every session's renewals
                log.exception("renewing MCP leases failed; trying again")
