"""What the peer scripts share: the W1 figure and the command line ``N SHAPE...``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

__all__ = ["main"]


def main(system: str, prepare: Callable[[str, int], Callable[[], None]]) -> None:
    """For each shape on the command line after ``N``: ``prepare(shape, N)`` (untimed)
    gives the run; time it and print its W1 figure as one JSON line."""
    n = int(sys.argv[1])
    for shape in sys.argv[2:]:
        run = prepare(shape, n)
        began = time.perf_counter()
        run()
        seconds = time.perf_counter() - began
        figure = {
            "workload": "W1",
            "system": system,
            "shape": shape,
            "tasks": n,
            "seconds": round(seconds, 3),
            "tasks_per_second": round(n / seconds, 1),
        }
        print(json.dumps(figure), flush=True)
