"""What an LLM agent reads from a tool: results cut to a size a model can take and sent
as compact JSON, and the API's refusals as one or two lines it can act on."""

from __future__ import annotations

import json
from typing import Any

from graphsvc._errors import ConflictError, GraphsvcError, ValidationFailed

__all__ = [
    "MAX_ITEMS",
    "MAX_TEXT",
    "compact_json",
    "compact_plan",
    "cut_texts",
    "page",
    "refusal_text",
]

# Compact results: lists and texts longer than these are cut, with a note saying how to
# read the rest.
MAX_ITEMS = 100
MAX_TEXT = 2000


def cut_texts(value: Any, whole: str) -> Any:
    """``value`` with each string longer than ``MAX_TEXT`` cut there, and a note saying
    how long it was and how to read it whole (``whole``: the tool call)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}... [cut: {len(value)} characters in all; {whole} reads it]"
    if isinstance(value, dict):
        return {k: cut_texts(v, whole) for k, v in value.items()}
    if isinstance(value, list):
        return [cut_texts(v, whole) for v in value]
    return value


def page(items: list[Any], offset: int, name: str, tool: str) -> dict[str, Any]:
    """``MAX_ITEMS`` of ``items`` from ``offset`` under ``name``, texts cut; with a note
    naming the next offset when there are more."""
    start = max(offset, 0)
    shown = items[start : start + MAX_ITEMS]
    result: dict[str, Any] = {name: cut_texts(shown, f"{tool} with a smaller page")}
    result["total"] = len(items)
    if start + len(shown) < len(items):
        result["note"] = (
            f"{len(items) - start - len(shown)} more: call {tool} with offset={start + len(shown)}"
        )
    return result


def compact_plan(plan: dict[str, Any], step_status: str | None = None) -> dict[str, Any]:
    """A plan for a model: everything but its steps' details; each step as id, key,
    status and name (those of ``step_status`` only when given), at most ``MAX_ITEMS``,
    with a note on the rest."""
    steps = [s for s in plan.get("steps", []) if step_status in (None, s.get("status"))]
    view: dict[str, Any] = cut_texts(
        {k: v for k, v in plan.items() if k != "steps"}, "the REST API"
    )
    view["steps"] = [
        {"id": s["id"], "key": s["key"], "status": s["status"], "name": s.get("name")}
        for s in steps[:MAX_ITEMS]
    ]
    total = (
        len(steps)
        if step_status is not None
        else int((plan.get("progress") or {}).get("total") or len(steps))
    )
    if total > MAX_ITEMS:
        view["note"] = (
            f"{total - min(len(steps), MAX_ITEMS)} more steps not shown: pass step_status to "
            "see those of one status, or get_step for one step"
        )
    view.pop("next_steps_after", None)
    return view


def _pruned(value: Any) -> Any:
    """``value`` without null or empty fields (None, "", [], {}) in its objects."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def compact_json(result: Any) -> str:
    """A tool's result as the text a model reads: JSON without indentation, null and
    empty fields left out (the result's own top-level fields kept, so an empty claim
    still says ``{"steps":[]}``)."""
    if isinstance(result, dict):
        body = {k: _pruned(v) for k, v in result.items() if v is not None}
    else:
        body = _pruned(result)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


# Details of an API error worth a model's attention, in this order, and how to name them.
_HELPFUL_DETAILS = (
    ("status", "the status is"),
    ("cycle", "the cycle would be"),
    ("path", "the path is"),
    ("chained_after", "chained after step"),
    ("allowed", "allowed"),
    ("field", "field"),
)


def refusal_text(
    exc: GraphsvcError, tool: str, step_id: str | None = None, leased: bool = False
) -> str:
    """What an agent reads when the API refuses a tool call: the API's error code and
    message, the details that help it correct course (the status a step is in, the
    cycle a dependency would close, the problems of an input), in one or two lines;
    for a worker tool about a step whose lease is gone, that it must stop working on
    the step and not report it (``leased``: the tool reports on a step this server holds
    a lease on)."""
    text = f"{tool} refused ({exc.code}): {exc.message}"
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = []
    for key, label in _HELPFUL_DETAILS:
        value = details.get(key)
        if value is None or (isinstance(value, str) and value in exc.message):
            continue
        if isinstance(value, list):
            value = (
                " -> ".join(map(str, value))
                if key in ("cycle", "path")
                else ", ".join(map(str, value))
            )
        extra.append(f"{label} {value}")
    if extra:
        text += " (" + "; ".join(extra) + ")"
    if isinstance(exc, ValidationFailed) and len(exc.problems) > 5:
        text += ". Every problem: " + "; ".join(map(str, exc.problems))
    if (
        step_id
        and leased
        and isinstance(exc, ConflictError)
        and "do not report it" not in exc.message
    ):
        text += (
            f". Stop working on step {step_id} and do not report it: its lease is no longer "
            "yours (claim other work with claim_steps)"
        )
    return text
