"""Shared test helpers: the API keys of the test app."""

from __future__ import annotations

KEYS = {"admin": "k-admin", "coordinator": "k-coord", "worker": "k-worker", "viewer": "k-viewer"}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test key for ``role``."""
    return {"Authorization": f"Bearer {KEYS[role]}"}
