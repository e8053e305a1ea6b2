"""Rich renderings of plans for the CLI: step tables and status trees."""

from __future__ import annotations

from rich.table import Table
from rich.tree import Tree

from graphsvc.domain.models import PlanPublic, PlanSpec, PlanSummary

__all__ = ["GLYPHS", "plan_list_table", "plan_tree", "spec_table"]

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
        table.add_row(
            str(number), step.key, step.kind.value, step.title, ", ".join(step.depends_on)
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
            plan.name,
            _status(plan.status.value),
            done,
            plan.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def plan_tree(plan: PlanPublic, errors: bool = True) -> Tree:
    """The plan and its steps, one line each, with status glyph and colour."""
    progress = plan.progress
    pct = f" {progress.terminal}/{progress.total} ({progress.percent:.0f}%)" if progress else ""
    tree = Tree(f"{_status(plan.status.value)} [bold]{plan.name}[/]{pct}  [dim]{plan.id}[/]")
    for step in plan.steps:
        line = f"{_status(step.status.value)} {step.key}: {step.name} [dim]({step.kind.value})[/]"
        if errors and step.error_message and step.status.value in ("FAILED", "READY"):
            line += f"\n    [red]{step.error_message}[/]"
        tree.add(line)
    return tree
