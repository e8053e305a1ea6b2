"""Long-poll claims: woken by this process's writes, and the polls of one worker's slots
shared (one query per write, not one per slot)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graphsvc.api._signal import CLAIM_POLL_SECONDS, WorkSignal
from graphsvc.ids import new_id
from graphsvc.worker import ApiClient
from tests.helpers import KEYS


def test_waiting_slots_of_one_agent_each_get_a_step_when_a_write_makes_them_ready(
    live_api: str,
) -> None:
    """Four slots of one agent wait; a plan of four steps starts: each slot gets one at
    once, not at its deadline. (Sharing a poll must not hide steps from the others.)"""
    cap = f"poll-{new_id()}"
    worker = ApiClient(live_api, KEYS["admin"])  # claims as its own agent: any key but a worker's
    coordinator = ApiClient(live_api, KEYS["coordinator"])
    body = {"agent_id": f"slots-{cap}", "capabilities": [cap], "kinds": ["noop"]}

    def wait_for_one() -> tuple[list[dict[str, Any]], float]:
        began = time.monotonic()
        steps = worker.claim(**body, max_steps=1, lease_seconds=60, wait_seconds=20)
        return steps, time.monotonic() - began

    steps = [{"key": f"S{i}", "kind": "noop", "requires_capabilities": [cap]} for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        waiting = [pool.submit(wait_for_one) for _ in range(4)]
        time.sleep(1.0)  # every slot is waiting now, and has found nothing
        coordinator.call("POST", "/v1/plans?start=true", json={"name": "poll", "steps": steps})
        answers = [f.result(timeout=30) for f in waiting]
    claimed = sorted(s["key"] for got, _ in answers for s in got)
    assert claimed == ["S0", "S1", "S2", "S3"]
    assert max(seconds for _, seconds in answers) < 10


def test_an_empty_poll_spares_the_same_claim_until_the_next_write() -> None:
    async def scenario() -> list[int]:
        signal = WorkSignal()
        calls: list[str] = []

        async def attempt(key: str) -> list[str]:
            calls.append(key)
            await asyncio.sleep(0.01)
            return []

        counts = []
        async with signal.shared_poll("a") as a, signal.shared_poll("a") as a2:
            assert a is a2
            async with signal.shared_poll("b") as b:
                await asyncio.gather(*(a.poll(lambda: attempt("a")) for _ in range(8)))
                counts.append(calls.count("a"))  # eight waiters, one query
                await b.poll(lambda: attempt("b"))
                counts.append(calls.count("b"))  # another claim is not spared
                signal.notify()
                await asyncio.gather(*(a.poll(lambda: attempt("a")) for _ in range(8)))
                counts.append(calls.count("a"))  # a write: one more query
                await asyncio.sleep(CLAIM_POLL_SECONDS + 0.05)
                await a.poll(lambda: attempt("a"))
                counts.append(calls.count("a"))  # and one each poll period
        return counts

    assert asyncio.run(scenario()) == [1, 1, 2, 3]


def test_a_write_during_a_poll_makes_the_next_poll_query_again() -> None:
    async def scenario() -> int:
        signal = WorkSignal()
        calls = 0

        async def attempt() -> list[str]:
            nonlocal calls
            calls += 1
            signal.notify()  # a step made READY after the query read the index
            return []

        async with signal.shared_poll("a") as shared:
            await shared.poll(attempt)
            await shared.poll(attempt)
        return calls

    assert asyncio.run(scenario()) == 2
