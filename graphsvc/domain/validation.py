"""Plan validation: every problem at once, each with where it is.

``parse_spec`` turns a JSON/YAML document into a ``PlanSpec`` (locations are
JSON paths like ``steps[2].depends_on[0]``); ``graph_problems`` checks the
dependency graph (unknown, duplicate and self dependencies, cycles) and is
shared by the ticket compiler, which passes its own locations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.domain.models import BODY_REQUIRED, GATE_KINDS, PlanSpec, StepKind, StepSpec

__all__ = ["find_cycles", "graph_problems", "load_spec_text", "parse_spec", "parse_step"]


def _json_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one node (Tarjan, 1972).

    ``graph`` maps a key to the keys it depends on; unknown keys are ignored.
    Each cycle is returned as ``[a, b, ..., a]``, starting at its smallest key.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = [c for c in graph.get(node, ()) if c in graph]
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return [_cycle_in(set(c), graph) for c in components]


def _cycle_in(members: set[str], graph: Mapping[str, Sequence[str]]) -> list[str]:
    start = min(members)
    # Breadth-first search back to start, inside the component: a shortest cycle.
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for node in frontier:
            for child in graph.get(node, ()):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child in members and child not in parents and child != start:
                    parents[child] = node
                    nxt.append(child)
        frontier = nxt
    return [start, start]  # unreachable for a real component


def graph_problems(
    keys: Sequence[str],
    depends_on: Mapping[str, Sequence[str]],
    where: Callable[[str], str],
    *,
    duplicates: Sequence[str] = (),
) -> list[Problem]:
    """Problems of the dependency graph: duplicate keys, unknown deps, self deps, cycles.

    ``where(key)`` gives the location of a step for a problem's message.
    """
    problems = [Problem(where(key), f"duplicate step key {key!r}") for key in duplicates]
    known = set(keys)
    graph: dict[str, list[str]] = {}
    for key in keys:
        deps = depends_on.get(key, ())
        for dep in deps:
            if dep == key:
                problems.append(Problem(where(key), f"step {key!r} depends on itself"))
            elif dep not in known:
                problems.append(Problem(where(key), f"unknown dependency {dep!r}"))
        graph[key] = [d for d in deps if d in known and d != key]
    for cycle in find_cycles(graph):
        problems.append(Problem(where(cycle[0]), "dependency cycle: " + " -> ".join(cycle)))
    return problems


def parse_spec(data: Any) -> PlanSpec:
    """A ``PlanSpec`` from a decoded JSON/YAML document, or ``ValidationFailed`` listing all.

    Field problems (pydantic) and graph problems are reported together.
    """
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("(document)", "a plan spec must be a JSON object")])
    problems: list[Problem] = []
    spec: PlanSpec | None = None
    try:
        spec = PlanSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(_json_path(err["loc"]), err["msg"]))

    raw_steps = data.get("steps")
    if isinstance(raw_steps, list):
        problems.extend(_raw_step_problems(raw_steps))
    if problems:
        raise ValidationFailed(problems)
    assert spec is not None
    return spec


def _raw_step_problems(raw_steps: list[Any]) -> list[Problem]:
    positions: dict[str, int] = {}
    keys: list[str] = []
    duplicates: list[str] = []
    deps: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for i, step in enumerate(raw_steps):
        if not isinstance(step, dict) or not isinstance(step.get("key"), str):
            continue
        key = step["key"]
        if key in positions:
            duplicates.append(key)
            problems.append(Problem(f"steps[{i}].key", f"duplicate step key {key!r}"))
            continue
        positions[key] = i
        keys.append(key)
        raw_deps = step.get("depends_on") or []
        deps[key] = (
            [d for d in raw_deps if isinstance(d, str)] if isinstance(raw_deps, list) else []
        )
        problems.extend(_body_problems(step, f"steps[{i}].description"))
    problems.extend(graph_problems(keys, deps, lambda k: f"steps[{positions[k]}]"))
    return problems


def _body_problems(step: dict[str, Any], where: str) -> list[Problem]:
    kind = step.get("kind", StepKind.TASK.value)
    body = step.get("description", "")
    problems: list[Problem] = []
    if kind in {k.value for k in BODY_REQUIRED} and isinstance(body, str) and not body.strip():
        problems.append(Problem(where, f"a {kind} step needs a description (its work)"))
    if step.get("deadline_seconds") is not None and kind not in GATE_KINDS:
        at = where.rsplit(".", 1)[0] + ".deadline_seconds"
        problems.append(Problem(at, "deadline_seconds is for approval and human_input steps only"))
    return problems


def parse_step(data: Any, where: str = "step") -> StepSpec:
    """One ``StepSpec`` (a step added to a running plan, or a step edited in place), its
    fields checked as in a plan spec; ``depends_on`` is left for the caller to resolve.
    Raises ``ValidationFailed`` listing every problem, located under ``where``."""
    if not isinstance(data, dict):
        raise ValidationFailed([Problem(where, "a step must be a JSON object")])
    problems: list[Problem] = []
    step: StepSpec | None = None
    try:
        step = StepSpec.model_validate(data)
    except ValidationError as exc:
        problems += [Problem(f"{where}.{_json_path(e['loc'])}", e["msg"]) for e in exc.errors()]
    problems += _body_problems(data, f"{where}.description")
    if problems:
        raise ValidationFailed(problems)
    assert step is not None
    return step


def load_spec_text(text: str, fmt: str) -> PlanSpec:
    """Parse a JSON (``fmt="json"``) or YAML (``"yaml"``) plan spec; ``ValidationFailed`` if bad."""
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ValidationFailed([Problem("(document)", f"not valid {fmt.upper()}: {exc}")]) from None
    return parse_spec(data)
