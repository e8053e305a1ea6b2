"""The built-in worker: N slots that claim steps over REST, execute them, heartbeat
while they work, and report the result."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from graphsvc._errors import ApiUnreachable, GraphsvcError, ValidationFailed
from graphsvc.ids import new_id
from graphsvc.worker.client import ApiClient, ServerError
from graphsvc.worker.executors import (
    ExecutorConfig,
    Spawn,
    StepFailed,
    execute,
    handled_kinds,
    is_instant,
)

__all__ = ["Worker"]

log = logging.getLogger("graphsvc.worker")


class Worker:
    """Runs ``slots`` threads, each claiming up to ``batch`` steps at a time (long poll
    ``wait_seconds``).

    A slot runs its claimed steps one after another. Instant steps (``noop``)
    are not started or heartbeated: their results go back together in one
    ``POST /v1/steps/complete`` that also claims the slot's next batch, so a
    slot of short steps makes one request per batch. Other steps are started,
    heartbeated every third of ``lease_seconds`` (with the batch's steps still
    queued behind them) and reported one by one.

    ``stop()`` asks every slot to finish its current steps and return. Lease
    lost mid-step (the step was cancelled, or the lease expired): the result
    is dropped, as the 409 says.
    """

    def __init__(
        self,
        client: ApiClient,
        config: ExecutorConfig,
        slots: int = 4,
        agent_id: str | None = None,
        capabilities: list[str] | None = None,
        lease_seconds: float = 30.0,
        wait_seconds: float = 1.0,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        batch: int = 1,
    ) -> None:
        self.client = client
        self.config = config
        self.slots = slots
        self.agent_id = agent_id or f"graphsvc-worker-{new_id()[-12:]}"
        self.capabilities = capabilities or []
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.on_event = on_event or (lambda _kind, _step: None)
        self.batch = batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.slots):
            thread = threading.Thread(target=self._loop, name=f"slot-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _claim_body(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "capabilities": self.capabilities,
            "kinds": handled_kinds(self.config),
            "max_steps": self.batch,
            "lease_seconds": self.lease_seconds,
        }

    def _loop(self) -> None:
        steps: list[dict[str, Any]] = []
        while steps or not self._stop.is_set():  # steps already claimed are run, not dropped
            try:
                if not steps:
                    steps = self.client.claim(**self._claim_body(), wait_seconds=self.wait_seconds)
                steps = self._run_batch(steps)
            except GraphsvcError as exc:
                log.warning("worker request failed: %s", exc)
                steps = []
                self._stop.wait(1.0)

    def _run_batch(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run a claimed batch; returns the next batch claimed with its completions."""
        instant = [s for s in steps if is_instant(s)]
        others = [s for s in steps if not is_instant(s)]
        for i, step in enumerate(others):
            self._run(step, queued=others[i + 1 :] + instant)
        if not instant:
            return []
        results = [
            {"step_id": s["id"], "lease_token": s["lease_token"], "outputs": {}} for s in instant
        ]
        claim = None if self._stop.is_set() else self._claim_body()
        outcomes, claimed = self._complete_batch(results, claim)
        for step, outcome in zip(instant, outcomes, strict=True):
            if outcome.get("error"):
                log.warning("step %s: %s", step["key"], outcome["error"]["message"])
            else:
                self.on_event("completed", step)
        return claimed

    def _complete_batch(
        self, results: list[dict[str, Any]], claim: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Report the results; a repeat is safe (completion is idempotent), so a request
        that got no answer or a 5xx is tried again, up to 5 times in all."""
        for attempt in range(5):
            try:
                return self.client.complete_batch(results, claim)
            except (ApiUnreachable, ServerError) as exc:
                if attempt == 4:
                    raise
                log.warning("completing %d step(s) failed, trying again: %s", len(results), exc)
                self._stop.wait(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def _heartbeat(self, steps: list[dict[str, Any]], done: threading.Event) -> None:
        held = list(steps)
        while held and not done.wait(self.lease_seconds / 3):
            for step in list(held):
                try:
                    self.client.heartbeat(step["id"], step["lease_token"], self.lease_seconds)
                except GraphsvcError as exc:
                    log.warning("heartbeat for %s refused: %s", step["key"], exc)
                    held.remove(step)

    def _run(self, step: dict[str, Any], queued: list[dict[str, Any]]) -> None:
        token = step["lease_token"]
        done = threading.Event()
        try:
            self.client.start(step["id"], token)
            self.on_event("started", step)
            beat = threading.Thread(
                target=self._heartbeat, args=([step, *queued], done), daemon=True
            )
            beat.start()
            try:
                result = execute(step, self.config)
            finally:
                done.set()
            if isinstance(result, Spawn):
                ids = self.client.subplans(
                    step["id"], token, result.plans, result.max_parallel, result.summary
                )
                self.on_event("waiting", {**step, "child_plan_ids": ids})
            else:
                self.client.complete(step["id"], token, result.outputs, result.changeset)
                self.on_event("completed", step)
        except StepFailed as failure:
            self._report_failure(step, failure)
        except ValidationFailed as exc:  # children the API refused: the attempt failed
            self._report_failure(step, StepFailed(f"child plans refused: {exc}", False))
        except GraphsvcError as exc:
            log.warning("step %s: %s", step["key"], exc)

    def _report_failure(self, step: dict[str, Any], failure: StepFailed) -> None:
        try:
            self.client.fail(step["id"], step["lease_token"], failure.message, failure.retryable)
        except GraphsvcError as exc:
            log.warning("could not report failure of %s: %s", step["key"], exc)
        self.on_event("failed", {**step, "error": failure.message})
