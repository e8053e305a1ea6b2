"""Child plan specs as a spawn request gives them: JSON specs and ticket texts."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.domain.compiler import compile_tickets
from graphsvc.domain.models import PlanSpec
from graphsvc.domain.validation import parse_spec

__all__ = ["parse_children"]


def parse_children(
    plans: list[Any], tickets: list[str], default_name: str = "Child plan"
) -> list[PlanSpec]:
    """Validate every child, JSON specs first then ticket texts, in the order given.

    Raises one ``ValidationFailed`` listing the problems of all of them, each
    located as ``plans[i].<path>`` or ``tickets[i]: <ticket and line>``.
    """
    specs: list[PlanSpec] = []
    problems: list[Problem] = []
    for i, data in enumerate(plans):
        try:
            specs.append(parse_spec(data))
        except ValidationFailed as exc:
            problems += [Problem(f"plans[{i}].{p.location}", p.message) for p in exc.problems]
    for i, text in enumerate(tickets):
        try:
            specs.append(compile_tickets(text, default_name=f"{default_name} {i + 1}"))
        except ValidationFailed as exc:
            problems += [Problem(f"tickets[{i}] {p.location}", p.message) for p in exc.problems]
    if not specs and not problems:
        problems.append(Problem("plans", "give at least one child plan (plans or tickets)"))
    if problems:
        raise ValidationFailed(problems)
    return specs
