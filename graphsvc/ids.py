"""Node ids: time-ordered UUIDv7 strings (RFC 9562), as DESIGN.md section 1 asks."""

from __future__ import annotations

import uuid6

__all__ = ["new_id"]


def new_id() -> str:
    """Return a new UUIDv7 as a 36-character string; later calls sort after earlier ones."""
    return str(uuid6.uuid7())
