"""Rich renderings of plans for the CLI: step tables and status trees. User text (names,
keys, errors, messages) is printed as written: escaped, never read as rich markup."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from graphsvc.domain.models import (
    DecisionPublic,
    PlanPublic,
    PlanSpec,
    PlanSummary,
    Progress,
    StatusTree,
    StepDetail,
    StepRef,
    TreePlan,
)

__all__ = [
    "GLYPHS",
    "audit_table",
    "decision_table",
    "family_tree",
    "plan_list_table",
    "plan_tree",
    "spec_table",
    "step_table",
]

GLYPHS: dict[str, tuple[str, str]] = {
    "PENDING": ("·", "dim"),
    "READY": ("○", "cyan"),
    "ASSIGNED": ("◔", "blue"),
    "EXECUTING": ("◑", "bold blue"),
    "WAITING": ("◷", "magenta"),
    "COMPLETED": ("✔", "green"),
    "FAILED": ("✘", "bold red"),
    "SKIPPED": ("↷", "yellow"),
    "CANCELLED": ("⊘", "yellow"),
    "DRAFT": ("·", "dim"),
    "APPROVED": ("○", "cyan"),
    "PAUSED": ("‖", "yellow"),
    "SUPERSEDED": ("↷", "dim"),
}


def _status(status: str) -> str:
    glyph, style = GLYPHS.get(status, ("?", ""))
    return f"[{style}]{glyph} {status}[/]"


def spec_table(spec: PlanSpec) -> Table:
    """A compiled plan: one row per step with kind and dependencies."""
    table = Table(title=f"{escape(spec.name)} ({len(spec.steps)} steps)", title_justify="left")
    for column in ("#", "key", "kind", "name", "depends on"):
        table.add_column(column)
    for number, step in enumerate(spec.steps, start=1):
        table.add_row(
            str(number),
            escape(step.key),
            escape(str(step.kind)),
            escape(step.title),
            escape(", ".join(step.depends_on)),
        )
    return table


def plan_list_table(plans: list[PlanSummary]) -> Table:
    table = Table()
    for column in ("id", "name", "status", "progress", "created"):
        table.add_column(column)
    for plan in plans:
        progress = plan.progress
        done = f"{progress.terminal}/{progress.total}" if progress else ""
        table.add_row(
            plan.id,
            escape(plan.name),
            _status(plan.status.value),
            done,
            plan.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def _plan_line(status: str, name: str, plan_id: str, progress: Progress | None) -> str:
    pct = f" {progress.terminal}/{progress.total} ({progress.percent:.0f}%)" if progress else ""
    return f"{_status(status)} [bold]{escape(name)}[/]{pct}  [dim]{plan_id}[/]"


def _step_line(status: str, key: str, name: str, kind: str, error: str | None, errors: bool) -> str:
    line = f"{_status(status)} {escape(key)}: {escape(name)} [dim]({escape(kind)})[/]"
    if errors and error and status in ("FAILED", "READY"):
        line += f"\n    [red]{escape(error)}[/]"
    return line


def plan_tree(plan: PlanPublic, errors: bool = True) -> Tree:
    """The plan and its steps, one line each, with status glyph and colour."""
    tree = Tree(_plan_line(plan.status.value, plan.name, plan.id, plan.progress))
    for step in plan.steps:
        tree.add(
            _step_line(
                step.status.value, step.key, step.name, str(step.kind), step.error_message, errors
            )
        )
    return tree


def _add_family(node: Tree, plan: TreePlan, errors: bool) -> None:
    for step in plan["steps"]:
        branch = node.add(
            _step_line(
                step["status"].value,
                step["key"],
                step["name"],
                step["kind"],
                step["error_message"],
                errors,
            )
        )
        for child in step["children"]:
            line = _plan_line(child["status"].value, child["name"], child["id"], child["progress"])
            _add_family(branch.add(line), child, errors)
        if step["truncated"]:
            branch.add(f"[dim]… {step['child_count']} child plan(s) below the depth limit[/]")


def family_tree(tree: StatusTree, errors: bool = True) -> Tree:
    """A status tree: each plan, its steps, their child plans, and so on, one line
    each with status glyph, colour and each plan's progress."""
    root = tree.root
    rendered = Tree(_plan_line(root["status"].value, root["name"], root["id"], root["progress"]))
    _add_family(rendered, root, errors)
    return rendered


def audit_table(rows: list[dict[str, Any]]) -> Table:
    """An audit trail: time, kind, actor, what happened."""
    table = Table()
    for column in ("time", "kind", "actor", "what"):
        table.add_column(column, overflow="fold")
    for row in rows:
        at = row.get("time")
        if isinstance(at, str):  # as the REST API answers it
            at = datetime.fromisoformat(at)
        time = at.strftime("%Y-%m-%d %H:%M:%S") if at else ""
        table.add_row(
            time, row["kind"], escape(row.get("actor") or ""), escape(row.get("summary") or "")
        )
    return table


def decision_table(decisions: list[DecisionPublic]) -> Table:
    """Decisions: id, type, action, status, what they affect, when."""
    table = Table()
    for column in ("id", "type", "action", "status", "plan", "step", "since"):
        table.add_column(column, overflow="fold")
    for d in decisions:
        table.add_row(
            d.id,
            d.type.value,
            escape(d.action or ""),
            d.status,
            d.plan_id or "",
            d.step_id or "",
            d.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def _json_text(value: Any) -> str:
    return escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def step_table(detail: StepDetail) -> Table:
    """A step as a person reads it: status, kind, agent, attempts, times, description,
    inputs, outputs, error, dependencies, dependents, child plans and transitions."""
    step = detail.step
    table = Table(
        title=f"{escape(step.key)}: {escape(step.name)}  [dim]{step.id}[/]",
        title_justify="left",
        show_header=False,
    )
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows: list[tuple[str, str]] = [
        ("status", _status(step.status.value)),
        ("kind", escape(str(step.kind))),
        ("plan", detail.plan_id),
        ("agent", escape(step.assigned_to or step.assignee or "")),
        ("attempts", f"{step.retry_count + 1} (retries {step.retry_count}/{step.max_retries})"),
        ("lease losses", str(step.lease_losses)),
        ("times", _times(step.started_at, step.completed_at)),
        ("description", escape(step.description or "")),
        ("inputs", _json_text(step.inputs or {})),
        ("outputs", _json_text(step.outputs) if step.outputs is not None else ""),
        ("error", f"[red]{escape(step.error_message)}[/]" if step.error_message else ""),
        ("depends on", _refs(detail.dependencies)),
        ("dependents", _refs(detail.dependents)),
        ("child plans", ", ".join(f"{c.id} {_status(c.status.value)}" for c in detail.child_plans)),
    ]
    for name, value in rows:
        if value:
            table.add_row(name, value)
    for event in detail.events:
        change = f"{event.from_status or ''} -> {event.to_status}" if event.to_status else ""
        table.add_row(
            f"#{event.seq}",
            f"[dim]{event.timestamp:%Y-%m-%d %H:%M:%S}[/] {escape(event.type)} {change} "
            f"[dim]{escape(event.actor or '')} {escape(event.message or '')}[/]",
        )
    return table


def _refs(steps: list[StepRef]) -> str:
    return ", ".join(f"{escape(s.key)} {_status(s.status.value)} [dim]{s.id}[/]" for s in steps)


def _times(*times: datetime | None) -> str:
    names = ("started", "completed")
    return "  ".join(f"{n} {t:%Y-%m-%d %H:%M:%S}" for n, t in zip(names, times, strict=True) if t)
