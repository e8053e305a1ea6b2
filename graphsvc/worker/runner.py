"""The built-in worker: N slots that claim steps over REST, execute them, heartbeat
while they work, and report the result."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from graphsvc._errors import GraphsvcError, ValidationFailed
from graphsvc.ids import new_id
from graphsvc.worker.client import ApiClient
from graphsvc.worker.executors import ExecutorConfig, Spawn, StepFailed, execute, handled_kinds

__all__ = ["Worker"]

log = logging.getLogger("graphsvc.worker")


class Worker:
    """Runs ``slots`` threads, each claiming one step at a time (long poll ``wait_seconds``).

    ``stop()`` asks every slot to finish its current step and return. Lease
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
    ) -> None:
        self.client = client
        self.config = config
        self.slots = slots
        self.agent_id = agent_id or f"graphsvc-worker-{new_id()[-12:]}"
        self.capabilities = capabilities or []
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.on_event = on_event or (lambda _kind, _step: None)
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

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                steps = self.client.claim(
                    agent_id=self.agent_id,
                    capabilities=self.capabilities,
                    kinds=handled_kinds(self.config),
                    max_steps=1,
                    lease_seconds=self.lease_seconds,
                    wait_seconds=self.wait_seconds,
                )
            except (GraphsvcError, OSError) as exc:
                log.warning("claim failed: %s", exc)
                self._stop.wait(1.0)
                continue
            for step in steps:
                self._run(step)

    def _heartbeat(self, step: dict[str, Any], done: threading.Event) -> None:
        while not done.wait(self.lease_seconds / 3):
            try:
                self.client.heartbeat(step["id"], step["lease_token"], self.lease_seconds)
            except GraphsvcError as exc:
                log.warning("heartbeat for %s refused: %s", step["key"], exc)
                return

    def _run(self, step: dict[str, Any]) -> None:
        token = step["lease_token"]
        done = threading.Event()
        try:
            self.client.start(step["id"], token)
            self.on_event("started", step)
            beat = threading.Thread(target=self._heartbeat, args=(step, done), daemon=True)
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
