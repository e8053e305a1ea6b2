"""LangGraph peer (run inside bench/.venvs/langgraph): the W1 shapes as one no-op node
per task, with the SQLite checkpointer; a node with several dependencies is added with
``add_edge([deps], node)``. Prints one JSON line per shape."""

from __future__ import annotations

import operator
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from bench.peers._common import main
from bench.shapes import graph


class State(TypedDict):
    done: Annotated[list[str], operator.add]


def prepare(shape: str, n: int) -> Callable[[], None]:
    """The shape's graph, compiled with a SQLite checkpointer; returns its run."""
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
    tmp = tempfile.mkdtemp()
    conn = sqlite3.connect(str(Path(tmp) / "cp.sqlite"), check_same_thread=False)
    app = builder.compile(checkpointer=SqliteSaver(conn))

    def run() -> None:
        try:
            app.invoke(
                {"done": []}, {"configurable": {"thread_id": "bench"}, "recursion_limit": n + 10}
            )
        finally:
            conn.close()
            shutil.rmtree(tmp, ignore_errors=True)

    return run


if __name__ == "__main__":
    main("langgraph-sqlite", prepare)
