"""A worker written with the SDK: a plan whose steps are handled by decorated Python
functions, one custom kind each.

Start the API in another terminal (`graphsvc serve`), then run:

    python examples/sdk_worker.py

It creates the plan below, starts it, works it to its end with the handlers and prints
each step's outputs. Set GRAPHSVC_API_URL for another API and GRAPHSVC_API_KEY for
another key (on this machine the local key is read by itself).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from typing import Any

from graphsvc import Client, StepContext, StepFailed, Worker

TEXT = (
    "A plan is a graph of steps. A step runs when the steps it depends on are done; "
    "a worker claims a step, does its work and reports it, and the graph moves on."
)

PLAN = {
    "name": "Word report",
    "steps": [
        {"key": "FETCH", "kind": "fetch_text", "inputs": {"text": TEXT}},
        {"key": "COUNT", "kind": "count_words", "depends_on": ["FETCH"]},
        {"key": "TOP", "kind": "top_words", "depends_on": ["FETCH"], "inputs": {"n": 3}},
        {"key": "REPORT", "kind": "write_report", "depends_on": ["COUNT", "TOP"]},
    ],
}


def build_worker(client: Client, plan_id: str) -> Worker:
    """A worker of this plan's steps only, with one handler per custom kind."""
    worker = Worker(client, slots=2, plan_ids=[plan_id], builtins=False, wait_seconds=0.5)

    def prior(ctx: StepContext, key: str) -> dict[str, Any]:
        """The outputs of the dependency ``key`` (``ctx.prior_work``: one per dependency)."""
        return next(w["outputs"] for w in ctx.prior_work if w["key"] == key)

    @worker.step("fetch_text")
    def fetch_text(ctx: StepContext) -> dict[str, Any]:
        text = ctx.inputs.get("text", "")
        if not text:
            raise StepFailed("no text to study", retryable=False)
        return {"text": text}

    @worker.step("count_words")
    def count_words(ctx: StepContext) -> dict[str, Any]:
        words = prior(ctx, "FETCH")["text"].split()
        ctx.changeset["words"] = len(words)  # recorded beside the outputs
        return {"words": len(words)}

    @worker.step("top_words")
    async def top_words(ctx: StepContext) -> dict[str, Any]:  # async handlers work too
        words = [w.strip(".,;").lower() for w in prior(ctx, "FETCH")["text"].split()]
        return {"top": Counter(w for w in words if len(w) > 3).most_common(ctx.inputs["n"])}

    @worker.step("write_report")
    def write_report(ctx: StepContext) -> dict[str, Any]:
        count, top = prior(ctx, "COUNT")["words"], prior(ctx, "TOP")["top"]
        listed = ", ".join(f"{word} ({n})" for word, n in top)
        return {"report": f"{count} words; most used: {listed}"}

    return worker


def main() -> int:
    with Client(os.environ.get("GRAPHSVC_API_URL", "http://127.0.0.1:8765")) as client:
        plan = client.create_plan(PLAN)
        worker = build_worker(client, plan.id)
        worker.start()
        try:
            client.transition_plan(plan.id, "start")
            deadline = time.monotonic() + 120
            while (done := client.get_plan(plan.id)).status.value in ("EXECUTING", "DRAFT"):
                if time.monotonic() > deadline:
                    print(f"plan {plan.id} did not finish in 120 s", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        finally:
            worker.stop()
        print(f"plan {plan.id}: {done.status.value}")
        for step in done.steps:
            print(f"  {step.key:<7} {step.status.value:<10} {step.outputs}")
        return 0 if done.status.value == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
