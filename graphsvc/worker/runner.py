"""The worker SDK: a registry of step handlers by kind, run by N slots that claim steps
over REST, heartbeat while the handlers work, and report the results.

Handlers are registered with ``@worker.step(kind)`` (like Hatchet's ``@hatchet.task``
or a Temporal activity) and get a ``StepContext``; the built-in executors (noop,
command, agent, planner, subplan) are registered the same way, so the built-in
worker is this SDK with its defaults. A handler returns its outputs (a dict, or
None for none), or calls ``ctx.spawn``; an exception fails the attempt, retryable
unless it is ``StepFailed(..., retryable=False)`` (or the API refused what it asked:
``ctx.spawn``, ``ctx.add_steps``); ``async def`` handlers run on an event loop of
their slot, kept between steps.

Losing the API for a while is not losing the work (DESIGN.md section 8): every
report (``start``, ``heartbeat``, ``complete``, ``fail``, ``subplans``) that gets
no answer or a 5xx is sent again with backoff until the step's lease would have
run out. ``start`` and ``complete`` answer a repeat as they answered the first
call; a batch completion is sent again without its claim (a claim that did
land leases steps whose tokens never arrived: they return after their lease,
without spending a retry); a repeated ``fail`` or ``subplans`` whose first call
landed is refused with a 409, which is then only logged. Heartbeats go on
through refusals unless the refusal says the lease is gone (409, 404, 403).
When it is gone (the step was cancelled, or its lease expired and went to
another worker), the running process group is killed and nothing is reported.
A completion the API refuses as too large or invalid (413, 422) is reported as
a failed attempt that no retry would mend.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from graphsvc._errors import (
    ApiUnreachable,
    ConflictError,
    GraphsvcError,
    NotFoundError,
    PermissionDenied,
    TooLarge,
    ValidationFailed,
)
from graphsvc.domain.models import KIND_PATTERN
from graphsvc.ids import new_id
from graphsvc.worker.client import ApiClient, ServerError
from graphsvc.worker.context import ClaimedStep, Lease, StepContext
from graphsvc.worker.executors import ExecutorConfig, Spawn, StepFailed, builtin_handlers, validate

__all__ = ["Handler", "Worker"]


Handler = Callable[[StepContext], Any]
"""A step handler: ``fn(ctx) -> dict | None`` (its outputs), sync or ``async``."""

# Slots that claim instant (noop) steps in batches at once (``Worker``).
INSTANT_LANES = 2

log = logging.getLogger("graphsvc.worker")

T = TypeVar("T")

# Refusals that mean the lease is not ours any more: stop the work, report nothing.
LEASE_GONE = (ConflictError, NotFoundError, PermissionDenied)
# Failures of delivery, not of the step: send again.
UNDELIVERED = (ApiUnreachable, ServerError)
_FIRST_RETRY_SECONDS = 0.2
_MAX_RETRY_SECONDS = 5.0


class Worker:
    """Runs ``slots`` threads, each claiming up to ``batch`` steps at a time (long poll
    ``wait_seconds``) of the kinds it has handlers for, of the plans ``plan_ids`` (and
    their child plans) when given.

    ``api`` is the API's base URL (or an ``ApiClient``), ``key`` its API key (default:
    ``GRAPHSVC_API_KEY``, else the local key for an API on this machine). ``config``
    enables built-in executors (``ExecutorConfig``: noop and subplan by default;
    commands and the agent command when it says so); ``builtins=False`` registers
    none.

    It claims as ``agent_id``; by default as the agent its key is bound to (a worker
    key, ``GET /v1/whoami``), else as a new agent ``graphsvc-worker-...``.

    A slot runs its claimed steps one after another, in the order claimed. Instant
    steps (``noop``) are not started or heartbeated: their results go back together
    in one ``POST /v1/steps/complete`` that also claims the slot's next
    ``instant_batch`` instant steps (default 64), so a slot of short steps makes one
    request per batch; ``INSTANT_LANES`` (2) slots at a time do so (the instant lanes:
    one request is in flight while the API answers the other; on two cores, eight
    slots claiming instant batches at once ran a star at half the speed of one,
    bench/README.md), the others claim real work meanwhile. Other steps are
    started, heartbeated every third of ``lease_seconds`` (with the batch's steps
    still queued behind them) and reported one by one; a slot takes ``batch`` of them
    at a time (default 1: real work one step per slot).

    Claims ask for chains (``chain``, on by default; DESIGN.md section 2): a claimed
    step comes with the steps that can only run after it, which the slot runs back
    to back, so a linear run of noop steps costs one claim and one completion per
    ``instant_batch`` steps. A chained step gets the outputs of the step before it
    in its ``prior_work``; when that step does not complete (it failed, or the API
    refused it), the steps chained behind it are not run (the API has returned them
    to their plan).

    ``stop()`` asks every slot to finish its current steps and return.
    """

    def __init__(
        self,
        api: ApiClient | str = "http://127.0.0.1:8765",
        config: ExecutorConfig | None = None,
        slots: int = 4,
        agent_id: str | None = None,
        capabilities: list[str] | None = None,
        lease_seconds: float = 30.0,
        wait_seconds: float = 1.0,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        batch: int = 1,
        plan_ids: list[str] | None = None,
        key: str | None = None,
        builtins: bool = True,
        instant_batch: int = 64,
        chain: bool = True,
    ) -> None:
        self.client = api if isinstance(api, ApiClient) else ApiClient(api, key)
        self.config = config or ExecutorConfig()
        self._handlers: dict[str, Handler] = {}
        self._instant: set[str] = set()
        if builtins:
            for kind, builtin in builtin_handlers(self.config).items():
                if builtin.instant:
                    self._register_instant(kind, builtin.run)
                else:
                    self.register(kind, builtin.run)
        self.slots = slots
        self._agent_id = agent_id
        self._explicit_agent = agent_id
        self._new_agent = f"graphsvc-worker-{new_id()[-12:]}"
        self._agent_lock = threading.Lock()
        self._slot = threading.local()
        self.capabilities = capabilities or []
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.on_event = on_event or (lambda _kind, _step: None)
        self.batch = batch
        self.instant_batch = instant_batch
        self.chain = chain
        self.plan_ids = plan_ids or []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # The instant lanes: INSTANT_LANES slots at a time claim batches of instant steps
        # with their completions, so one batch's request is in flight while the API
        # answers the other's (one lane left Neo4j, the API and the worker taking turns;
        # more would collide on the same READY steps: bench/README.md); the others claim
        # real work meanwhile.
        self._lanes = threading.BoundedSemaphore(INSTANT_LANES)
        self._lane_owners: set[int] = set()

    @property
    def agent_id(self) -> str:
        """The agent this worker claims as: the one given, else the agent its key is bound
        to (a worker key; ``GET /v1/whoami``), else a new ``graphsvc-worker-...``. Asked
        of the API on first use, and again after a claim is refused (403); raises the
        client's error while the API cannot say."""
        with self._agent_lock:  # the slots ask at once: they must agree on one agent
            if self._agent_id is None:
                answer = self.client.call("GET", "/v1/whoami")
                self._agent_id = answer.get("agent_id") or self._new_agent
            return self._agent_id

    def register(self, kind: str, handler: Handler) -> None:
        """Handle steps of ``kind`` with ``handler`` (replacing any handler of that kind): a
        built-in kind (``StepKind``) or a custom one, which plans name in their steps'
        ``kind``. ``ValueError`` for a name the API would refuse (``KIND_PATTERN``:
        lower case, digits, ``_``, and ``.``, ``-`` or ``/`` between words)."""
        if not re.fullmatch(KIND_PATTERN, kind) or len(kind) > 64:
            raise ValueError(
                f"invalid step kind {kind!r}: lower case letters, digits and _, with . - or / "
                "between words, at most 64 characters"
            )
        self._handlers[kind] = handler
        self._instant.discard(kind)

    def _register_instant(self, kind: str, handler: Handler) -> None:
        """A built-in that returns at once with no outputs (``noop``): its steps are
        completed in batches, without a start or a heartbeat, and without calling it."""
        self.register(kind, handler)
        self._instant.add(kind)

    def step(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@worker.step("summarize")`` registers the function as the handler
        of that kind and returns it unchanged."""

        def decorate(handler: Handler) -> Handler:
            self.register(kind, handler)
            return handler

        return decorate

    @property
    def kinds(self) -> list[str]:
        """The kinds it claims: those it has handlers for."""
        return sorted(self._handlers)

    def run(self) -> None:
        """Start, and run until SIGINT or SIGTERM (or ``stop()`` from another thread);
        then finish the steps held and return."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self._stop.set())
        self.start()
        while not self._stop.wait(0.5):
            pass
        self.stop()

    def _is_instant(self, step: ClaimedStep) -> bool:
        return step.kind in self._instant and not step.validate_command

    def start(self) -> None:
        for i in range(self.slots):
            thread = threading.Thread(target=self._loop, name=f"slot-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Ask ``run()`` to stop (from any thread): it finishes the steps it holds and
        returns."""
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _claim_body(self, instant: bool = False) -> dict[str, Any]:
        """A claim of every kind it handles (but its instant kinds while other slots hold
        every instant lane), ``batch`` steps at most; ``instant``: of its instant kinds
        only, ``instant_batch`` at most (the claim a batch of instant completions
        carries)."""
        if instant:
            kinds = sorted(self._instant)
        elif len(self._lane_owners) >= INSTANT_LANES and not self._in_lane():
            kinds = [k for k in self.kinds if k not in self._instant]
        else:
            kinds = self.kinds
        return {
            "agent_id": self.agent_id,
            "capabilities": self.capabilities,
            "kinds": kinds,
            "max_steps": self.instant_batch if instant else self.batch,
            "lease_seconds": self.lease_seconds,
            "plan_ids": self.plan_ids,
            "chain": self.chain,
        }

    def _leases(self, steps: list[dict[str, Any]], claimed_at: float) -> list[Lease]:
        expires = claimed_at + self.lease_seconds
        return [Lease(ClaimedStep.from_api(s), self.lease_seconds, expires) for s in steps]

    def _in_lane(self) -> bool:
        return threading.get_ident() in self._lane_owners

    def _take_lane(self) -> bool:
        """Whether this slot has an instant lane, taking one if one is free."""
        if self._in_lane():
            return True
        if self._lanes.acquire(blocking=False):
            self._lane_owners.add(threading.get_ident())
            return True
        return False

    def _leave_lane(self) -> None:
        if self._in_lane():
            self._lane_owners.discard(threading.get_ident())
            self._lanes.release()

    def _loop(self) -> None:
        leases: list[Lease] = []
        while leases or not self._stop.is_set():  # steps already claimed are run, not dropped
            try:
                if not leases:
                    self._leave_lane()
                    body = {**self._claim_body(), "wait_seconds": self.wait_seconds}
                    if not body["kinds"]:  # only instant kinds, and the lane is taken
                        self._stop.wait(self.wait_seconds)
                        continue
                    asked = time.monotonic()
                    leases = self._leases(self.client.claim(**body), asked)
                leases = self._run_batch(leases)
            except PermissionDenied as exc:
                log.warning("claim refused: %s", exc)
                if self._explicit_agent is None:
                    self._agent_id = None  # ask again which agent the key is bound to
                leases = []
                self._stop.wait(1.0)
            except GraphsvcError as exc:
                log.warning("worker request failed: %s", exc)
                leases = []
                self._stop.wait(1.0)
            except Exception:  # a slot goes on, and gives up the instant lane it may hold
                log.exception("worker slot error; its steps return after their lease")
                self._leave_lane()
                leases = []
                self._stop.wait(1.0)
        self._leave_lane()

    def _deliver(self, call: Callable[[], T], leases: list[Lease], what: str) -> T:
        """``call()``, sent again with backoff while it gets no answer or a 5xx, until the
        earliest of ``leases`` would have run out; then its last error."""
        delay = _FIRST_RETRY_SECONDS
        while True:
            try:
                return call()
            except UNDELIVERED as exc:
                until = min(lease.expires for lease in leases)
                if time.monotonic() + delay >= until:
                    raise
                log.warning("%s not delivered, sending again in %.1f s: %s", what, delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_SECONDS)

    def _run_batch(self, leases: list[Lease]) -> list[Lease]:
        """Run a claimed batch in its order; returns the next batch, claimed with the last
        completion of its instant steps.

        Instant steps wait in a group for one completion request; the group is sent
        before a step that is chained after one of them runs (that step may not start
        before the one before it completes), and at the end with the next claim."""
        done: dict[str, dict[str, Any]] = {}  # completed here: outputs by step id
        broken: set[str] = set()  # did not complete here: its chain does not go on
        group: list[Lease] = []
        for i, lease in enumerate(leases):
            after = lease.step.chained_after
            if after in broken:
                broken.add(lease.id)
                continue
            if after in done:  # its prior work: the outputs of the step before it
                before = next(x.step for x in leases if x.id == after)
                lease.step.prior_work.append(
                    {"key": before.key, "name": before.name, "outputs": done[after]}
                )
            if self._is_instant(lease.step) and not lease.lost.is_set():
                group.append(lease)
                continue
            if any(g.id == after for g in group):
                self._complete_group(group, None, done, broken)
                group = []
                if after in broken:
                    broken.add(lease.id)
                    continue
            # Every step still to run after it is heartbeated meanwhile (its lease runs too).
            queued = [x for x in leases[i + 1 :] if not x.lost.is_set()] + group
            outputs = self._run(lease, queued)
            if outputs is None:
                broken.add(lease.id)
            else:
                done[lease.id] = outputs
        if not group:
            return []
        # The next instant batch comes with this completion, for the slot in the lane.
        lane = not self._stop.is_set() and bool(self._instant) and self._take_lane()
        claim = self._claim_body(True) if lane else None
        asked = time.monotonic()
        return self._leases(self._complete_group(group, claim, done, broken), asked)

    def _complete_group(
        self,
        group: list[Lease],
        claim: dict[str, Any] | None,
        done: dict[str, dict[str, Any]],
        broken: set[str],
    ) -> list[dict[str, Any]]:
        """Complete instant steps in one request (with ``claim``: claiming the next ones in
        the same transaction); returns the steps claimed."""
        # No worker times: an instant step's are the server's (its completion's commit).
        results = [{"step_id": x.id, "lease_token": x.token, "outputs": {}} for x in group]
        for lease in group:
            lease.reporting.set()
        sent: list[bool] = []

        def complete() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            # Again without the claim: the first one may have landed unanswered.
            again = bool(sent)
            sent.append(True)
            return self.client.complete_batch(results, None if again else claim)

        outcomes, claimed = self._deliver(complete, group, f"completion of {len(results)} step(s)")
        for lease, outcome in zip(group, outcomes, strict=True):
            if outcome.get("error"):
                log.warning("step %s: %s", lease.key, outcome["error"]["message"])
                broken.add(lease.id)
            else:
                done[lease.id] = {}
                self.on_event("completed", lease.step.as_dict())
        return claimed

    def _heartbeat(self, leases: list[Lease], done: threading.Event) -> None:
        """Renew ``leases`` every third of the lease until ``done``; a beat that got no
        answer is tried again within a second, one refused as gone marks the lease lost."""
        held = list(leases)
        wait = self.lease_seconds / 3
        while held and not done.wait(wait):
            wait = self.lease_seconds / 3
            for lease in list(held):
                if lease.waiting:  # it spawned child plans: WAITING holds no lease
                    held.remove(lease)
                    continue
                sent = time.monotonic()
                try:
                    self.client.heartbeat(lease.id, lease.token, self.lease_seconds)
                except LEASE_GONE as exc:
                    held.remove(lease)
                    if done.is_set() or lease.reporting.is_set():
                        continue  # a beat that crossed the step's own report: no loss
                    log.warning("lease of %s is gone: %s", lease.key, exc)
                    lease.lost.set()
                except GraphsvcError as exc:
                    log.warning("heartbeat for %s not delivered: %s", lease.key, exc)
                    wait = min(wait, 1.0)
                else:
                    lease.expires = sent + self.lease_seconds

    def _call(self, handler: Handler, ctx: StepContext) -> Any:
        """The handler's result; an ``async def`` handler runs on its slot's event loop (one
        per slot, kept between steps, so async clients a handler keeps keep working)."""
        result = handler(ctx)
        if inspect.isawaitable(result):
            loop = getattr(self._slot, "loop", None)
            if loop is None:
                loop = self._slot.loop = asyncio.new_event_loop()
            return loop.run_until_complete(_awaited(result))
        return result

    def _execute(self, ctx: StepContext) -> Any:
        """Run the step's handler and then its validate command; any exception but
        ``StepFailed`` fails the attempt as a retryable one, named by its type."""
        handler = self._handlers.get(ctx.step.kind)
        if handler is None:
            raise StepFailed(f"this worker cannot run {ctx.step.kind!r} steps", retryable=True)
        try:
            result = self._call(handler, ctx)
        except StepFailed:
            raise
        except (ValidationFailed, PermissionDenied, TooLarge) as exc:
            # The API refused what the handler asked (ctx.spawn, ctx.add_steps): the same
            # request would be refused again.
            raise StepFailed(f"the API refused it: {exc.message}", retryable=False) from exc
        except Exception as exc:
            if ctx.spawned is not None:
                log.exception("step %s: its handler raised after it spawned", ctx.step.key)
                return None  # the step waits for its children: nothing more to report
            log.exception("step %s: its handler raised", ctx.step.key)
            raise StepFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if ctx.spawned is not None:
            return None
        if result is None:
            result = {}
        if not isinstance(result, dict | Spawn):
            raise StepFailed(
                f"its handler returned {type(result).__name__}, not a dict of outputs",
                retryable=False,
            )
        validate(ctx.step.as_dict(), self.config, ctx.cancel_event)
        return result

    def _run(self, lease: Lease, queued: list[Lease]) -> dict[str, Any] | None:
        """Start, run and report one step; its outputs when it completed, else None."""
        if lease.lost.is_set():
            log.warning("step %s: its lease was lost before it started; not run", lease.key)
            return None
        step = lease.step.as_dict()
        ctx = StepContext(lease, self.client, Path(self.config.workdir), self.lease_seconds)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=([lease, *queued], done), daemon=True)
        beat.start()
        try:
            self._deliver(lambda: self.client.start(lease.id, lease.token), [lease], "start")
            self.on_event("started", step)
            result = self._execute(ctx)
            if ctx.spawned is not None:
                self.on_event("waiting", {**step, "child_plan_ids": ctx.spawned})
            elif lease.lost.is_set():
                log.warning(
                    "step %s: cancelled or its lease lost; its result is dropped", lease.key
                )
            elif isinstance(result, Spawn):
                spawn = result
                ids = self._deliver(
                    lambda: self.client.subplans(
                        lease.id, lease.token, spawn.plans, spawn.max_parallel, spawn.summary
                    ),
                    [lease],
                    "spawn",
                )
                self.on_event("waiting", {**step, "child_plan_ids": ids})
            else:
                outputs = result
                lease.reporting.set()
                try:
                    self._deliver(
                        lambda: self.client.complete(lease.id, lease.token, outputs, ctx.changeset),
                        [lease],
                        "completion",
                    )
                except (ValidationFailed, TooLarge) as exc:
                    raise StepFailed(f"the API refused its result: {exc.message}", False) from exc
                self.on_event("completed", step)
                return dict(outputs)
        except StepFailed as failure:
            if lease.lost.is_set():
                log.warning("step %s stopped: %s", lease.key, failure.message)
            else:
                self._report_failure(lease, failure)
        except ValidationFailed as exc:  # children the API refused: the attempt failed
            self._report_failure(lease, StepFailed(f"child plans refused: {exc}", False))
        except GraphsvcError as exc:
            log.warning("step %s: %s", lease.key, exc)
        finally:
            done.set()
        return None

    def _report_failure(self, lease: Lease, failure: StepFailed) -> None:
        lease.reporting.set()
        try:
            self._deliver(
                lambda: self.client.fail(lease.id, lease.token, failure.message, failure.retryable),
                [lease],
                "failure report",
            )
        except GraphsvcError as exc:
            log.warning("could not report failure of %s: %s", lease.key, exc)
        self.on_event("failed", {**lease.step.as_dict(), "error": failure.message})


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
