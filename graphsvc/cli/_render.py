"""Rich renderings of plans for the CLI: step tables and status trees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.tree import Tree

from graphsvc.domain.models import (
    DecisionPublic,
    PlanPublic,
    PlanSpec,
    PlanSummary,
    Progress,
    StatusTree,
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
    table = Table(title=f"{spec.name} ({len(spec.steps)} steps)", title_justify="left")
    for column in ("#", "key", "kind", "name", "depends on"):
        table.add_column(column)
    for number, step in enumerate(spec.steps, start=1):
        table.add_row(str(number), step.key, str(step.kind), step.title, ", ".join(step.depends_on))
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
            plan.name,
            _status(plan.status.value),
            done,
            plan.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def _plan_line(status: str, name: str, plan_id: str, progress: Progress | None) -> str:
    pct = f" {progress.terminal}/{progress.total} ({progress.percent:.0f}%)" if progress else ""
    return f"{_status(status)} [bold]{name}[/]{pct}  [dim]{plan_id}[/]"


def _step_line(status: str, key: str, name: str, kind: str, error: str | None, errors: bool) -> str:
    line = f"{_status(status)} {key}: {name} [dim]({kind})[/]"
    if errors and error and status in ("FAILED", "READY"):
        line += f"\n    [red]{error}[/]"
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
        table.add_row(time, row["kind"], row.get("actor") or "", row.get("summary") or "")
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
            d.action or "",
            d.status,
            d.plan_id or "",
            d.step_id or "",
            d.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table
