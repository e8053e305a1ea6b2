"""A plan's graph as text (issue 23): Mermaid flowchart or Graphviz DOT, steps as nodes
labelled with their key, name and status and coloured by status, DEPENDS_ON as arrows
from a dependency to the step that waits for it."""

from __future__ import annotations

from graphsvc.domain.models import PlanPublic

__all__ = ["FORMATS", "STATUS_COLOURS", "to_dot", "to_mermaid"]

# The same colours as the live picture (graphsvc/api/static/ui/plan.js).
STATUS_COLOURS = {
    "PENDING": "#e8e8e8",
    "READY": "#cfe3ff",
    "ASSIGNED": "#ffe9a8",
    "EXECUTING": "#ffd166",
    "WAITING": "#d7c4f0",
    "COMPLETED": "#9be3a8",
    "FAILED": "#f4a3a3",
    "SKIPPED": "#d9d9d9",
    "CANCELLED": "#bdbdbd",
}


def _mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid ``"..."`` label (its entity codes)."""
    return (
        " ".join(text.split())
        .replace("#", "#35;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )


def to_mermaid(plan: PlanPublic) -> str:
    """The plan as a Mermaid ``flowchart TD``: node ``s<n>`` per step (in step order),
    ``a --> b`` when b depends on a, a ``classDef`` per status."""
    ids = {step.key: f"s{i}" for i, step in enumerate(plan.steps)}
    lines = [f"%% plan {plan.id}: {_mermaid_text(plan.name)} ({plan.status.value})", "flowchart TD"]
    for step in plan.steps:
        label = _mermaid_text(f"{step.key}: {step.name}") + f"<br/>{step.status.value}"
        lines.append(f'  {ids[step.key]}["{label}"]:::{step.status.value.lower()}')
    for step in plan.steps:
        lines += [f"  {ids[dep]} --> {ids[step.key]}" for dep in step.depends_on if dep in ids]
    lines += [
        f"  classDef {status.lower()} fill:{colour},stroke:#555"
        for status, colour in STATUS_COLOURS.items()
    ]
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(plan: PlanPublic) -> str:
    """The plan as a Graphviz ``digraph``: one filled box per step, an edge per
    dependency."""
    ids = {step.key: f"s{i}" for i, step in enumerate(plan.steps)}
    lines = [
        f'digraph "{_dot_text(plan.name)}" {{',
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="sans-serif"];',
    ]
    for step in plan.steps:
        label = _dot_text(f"{step.key}: {step.name}") + f"\\n{step.status.value}"
        colour = STATUS_COLOURS.get(step.status.value, "#ffffff")
        lines.append(f'  {ids[step.key]} [label="{label}", fillcolor="{colour}"];')
    for step in plan.steps:
        lines += [f"  {ids[dep]} -> {ids[step.key]};" for dep in step.depends_on if dep in ids]
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot}
