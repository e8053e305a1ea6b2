"""Changesets: a step's record of what it changed, as a JSON object of keys to values.

Merging (DESIGN.md section 3, "Child plans"): the union of the parts; two parts
that set one key to the same value agree; two that set it to different values
are a conflict, reported with the key and every part's value, never resolved
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Conflict", "merge_changesets"]


@dataclass(frozen=True)
class Conflict:
    """``key`` set to different values: ``values`` maps each source to its value."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key!r} set differently by {', '.join(self.values)}"


def merge_changesets(
    parts: list[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, Any], list[Conflict]]:
    """Merge ``(source, changeset)`` pairs in order.

    Returns the merged changeset (conflicting keys left out) and the conflicts,
    sorted by key, each naming every source that set the key.
    """
    merged: dict[str, Any] = {}
    sources: dict[str, dict[str, Any]] = {}
    for source, changeset in parts:
        for key, value in changeset.items():
            sources.setdefault(key, {})[source] = value
    conflicts: list[Conflict] = []
    for key, by_source in sources.items():
        values = list(by_source.values())
        if all(v == values[0] for v in values[1:]):
            merged[key] = values[0]
        else:
            conflicts.append(Conflict(key, by_source))
    return merged, sorted(conflicts, key=lambda c: c.key)
