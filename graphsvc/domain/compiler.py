"""The ticket compiler: a ticket file in, a ``PlanSpec`` out (DESIGN.md section 3).

Format::

    # Plan name                      <- preamble: first heading = plan name,
    Description of the plan.            the rest = description
    ---
    # KEY: Title [tag]               <- one ticket per section
    blocked_by: [OTHER, ...]         <- optional directives
    validate: <command>
    Body: the task text, or the script for [prog].

Sections are separated by a line ``---``; a ``---`` or ``#`` line inside a
fenced code block (````` or ``~~~``) belongs to the body. Tags ``agent``,
``agent/synthesize``, ``planner`` and ``prog`` compile to the kinds ``task``,
``synthesize``, ``planner`` and ``command``; a kind's own name (``noop``,
``approval``, ``human_input``, ``subplan``, ...) is accepted as a tag too.
Tolerated: blank lines, trailing spaces, ``blocked_by: []``, ``blocked_by:
A, B`` without brackets, keys with dashes or dots, colons in titles, a file
without a preamble (the plan is then named by the caller's default).

Every problem is reported at once, located as ``ticket KEY (line N)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.domain.models import BODY_REQUIRED, KEY_PATTERN, TAG_KINDS, PlanSpec, StepSpec
from graphsvc.domain.validation import graph_problems

__all__ = ["compile_tickets"]

_HEADING = re.compile(r"^#\s+(?P<key>[^\s:\[\]]+)\s*:\s*(?P<title>.*?)\s*\[(?P<tag>[^\[\]]*)\]\s*$")
_DIRECTIVE = re.compile(r"^(?P<name>blocked_by|validate)\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_KEY = re.compile(KEY_PATTERN)


@dataclass
class _Ticket:
    key: str
    title: str
    tag: str
    line: int
    blocked_by: list[str] = field(default_factory=list)
    validate: str | None = None
    body_lines: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"ticket {self.key} (line {self.line})"


def _sections(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Split on ``---`` lines outside code fences; each section keeps its first line number."""
    sections: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    fence: str | None = None
    for number, line in enumerate(lines, start=1):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.strip() == "---":
            sections.append((start, current))
            current, start = [], number + 1
            continue
        current.append(line)
    sections.append((start, current))
    return sections


def _parse_list(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return [item.strip().strip("'\"") for item in value.split(",") if item.strip()]


def _first_content(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


def _parse_ticket(first_line: int, lines: list[str], problems: list[Problem]) -> _Ticket | None:
    i = _first_content(lines)
    if i is None:
        return None  # an empty section, e.g. a trailing '---'
    heading = lines[i].strip()
    where = f"line {first_line + i}"
    match = _HEADING.match(heading)
    if not match:
        problems.append(
            Problem(where, f"expected a ticket heading '# KEY: Title [tag]', got {heading[:80]!r}")
        )
        return None
    ticket = _Ticket(match["key"], match["title"].strip(), match["tag"].strip(), first_line + i)
    if not _KEY.match(ticket.key) or len(ticket.key) > 100:
        problems.append(
            Problem(ticket.where, f"invalid key {ticket.key!r}: use letters, digits, '-', '_', '.'")
        )
    rest = lines[i + 1 :]
    j = 0
    while j < len(rest):
        stripped = rest[j].strip()
        directive = _DIRECTIVE.match(stripped)
        if stripped and not directive:
            break
        if directive and directive["name"].lower() == "blocked_by":
            ticket.blocked_by.extend(_parse_list(directive["value"]))
        elif directive:
            ticket.validate = directive["value"].strip() or None
        j += 1
    body = [line.rstrip() for line in rest[j:]]
    while body and not body[-1]:
        body.pop()
    ticket.body_lines = body
    return ticket


def compile_tickets(text: str, default_name: str = "Untitled plan") -> PlanSpec:
    """Compile a ticket file to a ``PlanSpec``; raise ``ValidationFailed`` with every problem.

    Problems found: malformed headings, invalid, duplicate or unknown keys,
    self-dependencies, cycles (each named ``A -> B -> A``), unknown tags, empty
    bodies (of ``agent``, ``agent/synthesize``, ``planner`` and ``prog``
    tickets) and a file without tickets.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections = _sections(lines)
    problems: list[Problem] = []
    name, description = default_name, ""

    _, first_lines = sections[0]
    head = _first_content(first_lines)
    if head is not None and not _HEADING.match(first_lines[head].strip()):
        sections = sections[1:]
        preamble = [line.rstrip() for line in first_lines]
        title_at = next((k for k, line in enumerate(preamble) if line.startswith("#")), None)
        if title_at is not None:
            name = preamble[title_at].lstrip("#").strip() or default_name
            preamble = preamble[:title_at] + preamble[title_at + 1 :]
        description = "\n".join(preamble).strip()

    tickets = [t for start, sec in sections if (t := _parse_ticket(start, sec, problems))]
    if not tickets and not problems:
        problems.append(
            Problem("(file)", "no tickets: a plan needs at least one '# KEY: Title [tag]' section")
        )

    seen: dict[str, _Ticket] = {}
    duplicates: list[str] = []
    for ticket in tickets:
        if ticket.key in seen:
            duplicates.append(ticket.key)
            problems.append(
                Problem(
                    ticket.where,
                    f"duplicate key {ticket.key!r} (first at line {seen[ticket.key].line})",
                )
            )
            continue
        seen[ticket.key] = ticket
        kind = TAG_KINDS.get(ticket.tag.lower())
        if kind is None:
            known = ", ".join(sorted(TAG_KINDS))
            problems.append(
                Problem(ticket.where, f"unknown tag [{ticket.tag}]; known tags: {known}")
            )
        elif kind in BODY_REQUIRED and not "\n".join(ticket.body_lines).strip():
            what = "script" if ticket.tag.lower() == "prog" else "task text"
            problems.append(
                Problem(ticket.where, f"empty body: a [{ticket.tag}] ticket needs its {what}")
            )

    problems.extend(
        graph_problems(
            list(seen), {k: t.blocked_by for k, t in seen.items()}, lambda k: seen[k].where
        )
    )
    if problems:
        raise ValidationFailed(problems)

    steps = []
    for ticket in seen.values():
        try:
            steps.append(
                StepSpec(
                    key=ticket.key,
                    name=ticket.title or ticket.key,
                    kind=TAG_KINDS[ticket.tag.lower()],
                    description="\n".join(ticket.body_lines).strip("\n"),
                    depends_on=ticket.blocked_by,
                    validate_command=ticket.validate,
                )
            )
        except ValidationError as exc:
            problems.extend(Problem(ticket.where, e["msg"]) for e in exc.errors())
    if problems:
        raise ValidationFailed(problems)
    try:
        return PlanSpec(name=name, description=description, steps=steps)
    except ValidationError as exc:  # the plan's own fields: its heading, its description
        raise ValidationFailed(
            [Problem(f"plan {'.'.join(map(str, e['loc']))}", e["msg"]) for e in exc.errors()]
        ) from None
