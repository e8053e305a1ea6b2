"""The ticket compiler and spec validation: pure, no database."""

from __future__ import annotations

import pytest

from graphsvc import ValidationFailed
from graphsvc.domain import StepKind, compile_tickets, parse_spec
from graphsvc.domain.validation import find_cycles

EIGHT = """# Repo report
Analyse the repository.
---
# L1-SCHEMA: Read the schema [prog]
cat schema.cypher
---
# L1-API: Read the API: routes [agent]
List the routes.
---
# L1-CLI: Read the CLI [agent]
blocked_by: []
Summarise the CLI.
---
# L1-TESTS: Count tests [prog]
```
---
# a comment inside a fence
```
grep -c def tests
---
# L2-DATA: Data layer summary [agent/synthesize]
blocked_by: [L1-SCHEMA, L1-API]
Combine.
---
# L2-UX: UX summary [agent/synthesize]
blocked_by: L1-CLI, L1-TESTS
Combine.
---
# L3-REPORT: Final report [agent/synthesize]
blocked_by: [L2-DATA, L2-UX]
validate: test -s report.md
Write the report.
---
# PLAN-MORE: Plan follow-ups [planner]
blocked_by: [L3-REPORT]
Plan what to do next.
"""


def test_eight_tickets_with_two_level_fan_in() -> None:
    spec = compile_tickets(EIGHT)
    assert spec.name == "Repo report" and spec.description == "Analyse the repository."
    keys = [s.key for s in spec.steps]
    assert keys == [
        "L1-SCHEMA",
        "L1-API",
        "L1-CLI",
        "L1-TESTS",
        "L2-DATA",
        "L2-UX",
        "L3-REPORT",
        "PLAN-MORE",
    ]
    by_key = {s.key: s for s in spec.steps}
    assert by_key["L2-DATA"].depends_on == ["L1-SCHEMA", "L1-API"]
    assert by_key["L2-UX"].depends_on == ["L1-CLI", "L1-TESTS"]
    assert by_key["L3-REPORT"].depends_on == ["L2-DATA", "L2-UX"]
    assert by_key["L3-REPORT"].validate_command == "test -s report.md"
    assert by_key["L1-API"].name == "Read the API: routes"
    assert by_key["L1-SCHEMA"].kind == StepKind.COMMAND
    assert by_key["L2-DATA"].kind == StepKind.SYNTHESIZE
    assert by_key["PLAN-MORE"].kind == StepKind.PLANNER
    assert "# a comment inside a fence" in by_key["L1-TESTS"].description
    assert by_key["L1-TESTS"].description.endswith("grep -c def tests")


def _problems(text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        compile_tickets(text)
    return [str(p) for p in info.value.problems]


def test_every_problem_is_reported_with_its_ticket_and_line() -> None:
    text = """# P
---
# A: First [agent]
blocked_by: [NOPE, A]
Do it.
---
# A: Again [agent]
Dup.
---
# B: Empty [prog]
---
# C: Bad tag [robot]
x
---
# D: Cycle one [agent]
blocked_by: [E]
d
---
# E: Cycle two [agent]
blocked_by: [D]
e
"""
    problems = _problems(text)
    assert "ticket A (line 3): unknown dependency 'NOPE'" in problems
    assert "ticket A (line 3): step 'A' depends on itself" in problems
    assert any(p.startswith("ticket A (line 7): duplicate key 'A'") for p in problems)
    assert any(p.startswith("ticket B (line 10): empty body") for p in problems)
    assert any(p.startswith("ticket C (line 12): unknown tag [robot]") for p in problems)
    assert "ticket D (line 15): dependency cycle: D -> E -> D" in problems


def test_empty_plan_and_bad_heading() -> None:
    assert _problems("# Only a preamble\nnothing else\n") == [
        "(file): no tickets: a plan needs at least one '# KEY: Title [tag]' section"
    ]
    assert any("expected a ticket heading" in p for p in _problems("# P\n---\n# no tag here\nx"))


def test_tolerates_crlf_trailing_spaces_and_no_preamble() -> None:
    text = (
        "# K-1: One [noop]  \r\n\r\n---\r\n"
        "# K-2: Two [prog]   \r\nblocked_by: [ K-1 ]  \r\necho hi   \r\n"
    )
    spec = compile_tickets(text, default_name="from-file")
    assert spec.name == "from-file"
    assert [s.key for s in spec.steps] == ["K-1", "K-2"]
    assert spec.steps[1].depends_on == ["K-1"] and spec.steps[1].description == "echo hi"


def test_spec_problems_have_json_paths() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_spec(
            {
                "name": "x",
                "steps": [
                    {"key": "A", "kind": "Tele Port", "description": "x"},
                    {"key": "B", "kind": "task", "description": "", "depends_on": ["A", "Z"]},
                    {"key": "B", "kind": "noop"},
                ],
            }
        )
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith("steps[0].kind:") for p in problems)
    assert any(p.startswith("steps[1].description:") for p in problems)
    assert "steps[1]: unknown dependency 'Z'" in problems
    assert "steps[2].key: duplicate step key 'B'" in problems


def test_find_cycles_names_each_cycle() -> None:
    graph = {"A": ["B"], "B": ["C"], "C": ["A"], "X": ["Y"], "Y": ["X"], "Z": []}
    assert sorted(find_cycles(graph)) == [["A", "B", "C", "A"], ["X", "Y", "X"]]
