"""LangGraph peer (run inside bench/.venvs/langgraph): the W1 shapes as one no-op node
per task, with the SQLite checkpointer; a node with several dependencies is added with
``add_edge([deps], node)``. Prints one JSON line per shape."""

from __future__ import annotations

import json
import operator
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from bench.shapes import graph


class State(TypedDict):
    done: Annotated[list[str], operator.add]


def run(shape: str, n: int) -> dict[str, object]:
    deps = graph(shape, n)
    builder = StateGraph(State)
    for key in deps:
        builder.add_node(key, lambda _state, key=key: {"done": [key]})
    dependents = {k for after in deps.values() for k in after}
    for key, after in deps.items():
        if not after:
            builder.add_edge(START, key)
        elif len(after) == 1:
            builder.add_edge(after[0], key)
        else:
            builder.add_edge(after, key)
        if key not in dependents:
            builder.add_edge(key, END)
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(str(Path(tmp) / "cp.sqlite"), check_same_thread=False)
        app = builder.compile(checkpointer=SqliteSaver(conn))
        began = time.perf_counter()
        app.invoke(
            {"done": []}, {"configurable": {"thread_id": "bench"}, "recursion_limit": n + 10}
        )
        seconds = time.perf_counter() - began
    return {
        "workload": "W1",
        "system": "langgraph-sqlite",
        "shape": shape,
        "tasks": n,
        "seconds": round(seconds, 3),
        "tasks_per_second": round(n / seconds, 1),
    }


if __name__ == "__main__":
    n = int(sys.argv[1])
    for shape in sys.argv[2:]:
        print(json.dumps(run(shape, n)), flush=True)
