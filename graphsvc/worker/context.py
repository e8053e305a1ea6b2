"""What a step handler gets: the claimed step, typed, and a ``StepContext`` that carries
its attempt, heartbeats, cancellation, its changeset, and the calls a running step may
make (spawn child plans, add steps to its plan).

In the manner of Temporal's activity context (``activity.heartbeat()``,
``activity.is_cancelled()``) and Hatchet's ``Context``: the handler does its work, the
worker heartbeats for it, and ``cancelled`` turns true as soon as a heartbeat learns
that the step was cancelled or its lease was lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphsvc._errors import ConflictError, NotFoundError, PermissionDenied

if TYPE_CHECKING:
    from graphsvc.worker.client import ApiClient

__all__ = ["ClaimedStep", "Lease", "StepContext"]


@dataclass(frozen=True)
class ClaimedStep:
    """A step as ``POST /v1/steps/claim`` answers it (DESIGN.md section 3)."""

    id: str
    key: str
    kind: str
    name: str
    plan_id: str
    lease_token: str
    attempt: int = 1
    description: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    prior_work: list[dict[str, Any]] = field(default_factory=list)
    timeout_seconds: float | None = None
    validate_command: str | None = None
    context: dict[str, Any] | None = None
    chained_after: str | None = None  # leased with a chain: the step it runs after

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ClaimedStep:
        """From the claim's JSON (unknown fields ignored)."""
        return cls(
            id=str(data["id"]),
            key=str(data["key"]),
            kind=str(data["kind"]),
            name=str(data.get("name") or data["key"]),
            plan_id=str(data["plan_id"]),
            lease_token=str(data["lease_token"]),
            attempt=int(data.get("attempt") or 1),
            description=str(data.get("description") or ""),
            inputs=dict(data.get("inputs") or {}),
            prior_work=list(data.get("prior_work") or []),
            timeout_seconds=data.get("timeout_seconds"),
            validate_command=data.get("validate_command"),
            context=data.get("context"),
            chained_after=data.get("chained_after"),
        )

    def as_dict(self) -> dict[str, Any]:
        """The step as a plain dict (what ``on_event`` callbacks receive)."""
        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "plan_id": self.plan_id,
            "lease_token": self.lease_token,
            "attempt": self.attempt,
            "description": self.description,
            "inputs": self.inputs,
            "prior_work": self.prior_work,
            "timeout_seconds": self.timeout_seconds,
            "validate_command": self.validate_command,
            "context": self.context,
            "chained_after": self.chained_after,
        }


@dataclass
class Lease:
    """A claimed step and its lease as this worker knows it: when the lease runs out (from
    the claim or the last accepted heartbeat, by this machine's clock) and whether the
    API said it is gone (``lost``: the step was cancelled, or its lease expired)."""

    step: ClaimedStep
    lease_seconds: float
    expires: float = 0.0
    lost: threading.Event = field(default_factory=threading.Event)
    waiting: bool = False  # it spawned child plans: no lease to keep any more
    # Its result is being reported: a heartbeat refused now crossed the report (no loss).
    reporting: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.expires = self.expires or time.monotonic() + self.lease_seconds

    @property
    def id(self) -> str:
        return self.step.id

    @property
    def token(self) -> str:
        return self.step.lease_token

    @property
    def key(self) -> str:
        return self.step.key


class StepContext:
    """Handed to a step handler: the step, its inputs and prior work, its attempt, a
    ``changeset`` to fill (reported with the outputs), ``cancelled``, and the calls a
    running step may make. The worker heartbeats while the handler runs."""

    def __init__(
        self, lease: Lease, client: ApiClient, workdir: Path, lease_seconds: float
    ) -> None:
        self._lease = lease
        self._client = client
        self._lease_seconds = lease_seconds
        self.workdir = workdir
        self.changeset: dict[str, Any] = {}
        self.spawned: list[str] | None = None

    @property
    def step(self) -> ClaimedStep:
        return self._lease.step

    @property
    def inputs(self) -> dict[str, Any]:
        return self._lease.step.inputs

    @property
    def prior_work(self) -> list[dict[str, Any]]:
        """The outputs of the completed steps it depends on: ``[{key, name, outputs}]``."""
        return self._lease.step.prior_work

    @property
    def attempt(self) -> int:
        """1 for the first attempt, 2 for the first retry, ..."""
        return self._lease.step.attempt

    @property
    def cancelled(self) -> bool:
        """True once a heartbeat learned that the step was cancelled or its lease lost:
        stop, nothing you report will be taken."""
        return self._lease.lost.is_set()

    @property
    def cancel_event(self) -> threading.Event:
        """The event behind ``cancelled``, to wait on (``ctx.cancel_event.wait(5)``)."""
        return self._lease.lost

    def heartbeat(self) -> None:
        """Renew the lease now (the worker also does so every third of the lease). When
        the API says the lease is gone, ``cancelled`` turns true and ``StepFailed`` is
        raised: stop, nothing you report will be taken."""
        from graphsvc.worker.executors import StepFailed

        sent = time.monotonic()
        try:
            self._client.heartbeat(self._lease.id, self._lease.token, self._lease_seconds)
        except (ConflictError, NotFoundError, PermissionDenied) as exc:
            self._lease.lost.set()
            raise StepFailed(f"the lease is gone: {exc.message}", retryable=True) from exc
        self._lease.expires = sent + self._lease_seconds

    def spawn(
        self,
        plans: list[dict[str, Any]] | None = None,
        tickets: list[str] | None = None,
        max_parallel: int = 1,
        summary: str | None = None,
    ) -> list[str]:
        """Hand the step's work to child plans (JSON specs or ticket texts): the step goes
        WAITING and completes when they all have, with their changesets merged. Returns
        the child plan ids; what the handler returns after this is not reported.
        ``ValidationFailed`` lists every problem of every child (nothing spawned)."""
        ids = self._client.subplans(
            self._lease.id, self._lease.token, plans, max_parallel, summary, tickets
        )
        self._lease.waiting = True
        self.spawned = ids
        return ids

    def add_steps(
        self, steps: list[dict[str, Any]], reason: str | None = None
    ) -> list[dict[str, Any]]:
        """Add steps (specs, which may depend on each other and on the plan's steps by
        key) to this step's plan while it runs: all or nothing. Needs a coordinator or
        admin key (``PermissionDenied`` otherwise). Returns the added steps."""
        body = {"steps": steps, "reason": reason}
        answer = self._client.call("POST", f"/v1/plans/{self.step.plan_id}/steps/batch", json=body)
        added: list[dict[str, Any]] = answer["steps"]
        return added
