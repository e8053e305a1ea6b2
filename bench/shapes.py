"""The dependency shapes of the benchmark workloads, as graphsvc plan specs and as plain
``{key: [dependency keys]}`` graphs for the peers."""

from __future__ import annotations

from typing import Any

__all__ = ["SHAPES", "graph", "plan_spec"]

SHAPES = ("linear", "star", "binary_tree", "layered")


def graph(shape: str, n: int) -> dict[str, list[str]]:
    """``n`` tasks ``T0..T{n-1}`` in ``shape``: each key with the keys it depends on.

    linear: a chain; star: one root then every other task after it; binary_tree: task i
    after task (i - 1) // 2; layered: 10 layers, each task after 2 of the layer before.
    """
    keys = [f"T{i}" for i in range(n)]
    if shape == "linear":
        return {k: ([keys[i - 1]] if i else []) for i, k in enumerate(keys)}
    if shape == "star":
        return {k: ([keys[0]] if i else []) for i, k in enumerate(keys)}
    if shape == "binary_tree":
        return {k: ([keys[(i - 1) // 2]] if i else []) for i, k in enumerate(keys)}
    if shape == "layered":
        width = max(1, n // 10)
        deps: dict[str, list[str]] = {}
        for i, k in enumerate(keys):
            layer = min(i // width, 9)
            if layer == 0:
                deps[k] = []
                continue
            before, pos = (layer - 1) * width, (i - layer * width) % width
            deps[k] = sorted({keys[before + pos], keys[before + (pos + 1) % width]})
        return deps
    raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")


def plan_spec(shape: str, n: int, kind: str = "noop") -> dict[str, Any]:
    """A graphsvc plan spec of ``n`` steps of ``kind`` in ``shape``."""
    return {
        "name": f"bench {shape} {n}",
        "steps": [{"key": k, "kind": kind, "depends_on": d} for k, d in graph(shape, n).items()],
    }
