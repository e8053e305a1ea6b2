"""Prefect 3 peer (run inside bench/.venvs/prefect): the W1 shapes as no-op tasks on
Prefect's ephemeral local server; prints one JSON line per shape."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from prefect import flow, task

from bench.peers._common import main
from bench.shapes import graph


@task
def noop(*_: object) -> None:
    return None


def prepare(shape: str, n: int) -> Callable[[], None]:
    """The shape as one flow of no-op tasks on the ephemeral server; returns its run."""
    deps = graph(shape, n)

    @flow(name=f"bench-{shape}-{n}")
    def dag() -> None:
        futures: dict[str, object] = {}
        for key, after in deps.items():
            futures[key] = noop.submit(wait_for=[futures[d] for d in after])
        for f in futures.values():
            f.wait()  # type: ignore[attr-defined]

    return dag


if __name__ == "__main__":
    main("prefect", prepare)
