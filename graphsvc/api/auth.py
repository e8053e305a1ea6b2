"""API keys and roles (DESIGN.md sections 4 and 8).

``GRAPHSVC_API_KEYS=key:role[:principal],...`` with roles ``admin``,
``coordinator`` (create, start, change, cancel plans; decide), ``worker``
(claim, heartbeat, complete, fail, spawn) and ``viewer`` (read). Every role
may read. A worker key is bound to one agent, its principal
(``key:worker:AGENT_ID``): it claims, reports, registers and sends only as that
agent; an admin key may act as any agent.

Keys are always on. Without ``GRAPHSVC_API_KEYS`` the server uses the local
admin key (``graphsvc.localkey``): generated on first start, kept 0600 in the
data folder, read by the CLI on the same machine.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from enum import StrEnum

from graphsvc._errors import AuthenticationFailed, Problem, ValidationFailed

log = logging.getLogger("graphsvc.api")

__all__ = ["LOCAL_PRINCIPAL", "Principal", "Role", "authenticate", "parse_api_keys"]


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    WORKER = "worker"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Principal:
    """Who calls: the principal's name (attributed in the audit trail) and role."""

    name: str
    role: Role

    @property
    def agent(self) -> str | None:
        """The one agent this key may act as (a worker key's principal), or None: any."""
        return self.name if self.role == Role.WORKER else None


LOCAL_PRINCIPAL = Principal("local", Role.ADMIN)


def authenticate(keys: dict[str, Principal], key: str | None) -> Principal:
    """The principal of ``key``; ``AuthenticationFailed`` when there is no key or it is not
    one of ``keys`` (compared in constant time)."""
    if not key:
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>'")
    for known, principal in keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return principal
    raise AuthenticationFailed("unknown API key")


def parse_api_keys(text: str) -> dict[str, Principal]:
    """``"k1:admin,k2:worker:bot-7"`` -> ``{"k1": Principal("admin", ADMIN), ...}``.

    Without a principal the role's name is used (a worker key's agent is then
    ``worker``). Raises ``ValidationFailed`` naming each malformed entry, and when the
    text holds no key at all (``","``): a key list that grants nothing is a mistake.
    """
    keys: dict[str, Principal] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(p.strip() for p in text.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) not in (2, 3) or not parts[0]:
            problems.append(Problem(f"GRAPHSVC_API_KEYS[{i}]", "expected key:role[:principal]"))
            continue
        try:
            role = Role(parts[1])
        except ValueError:
            problems.append(
                Problem(
                    f"GRAPHSVC_API_KEYS[{i}]",
                    f"unknown role {parts[1]!r}; use one of {', '.join(r.value for r in Role)}",
                )
            )
            continue
        if role == Role.WORKER and len(parts) == 2:
            log.warning(
                "GRAPHSVC_API_KEYS[%d] is a worker key without an agent: it acts as agent "
                "'worker', shared by every such key; write key:worker:AGENT_ID",
                i,
            )
        keys[parts[0]] = Principal(parts[2] if len(parts) == 3 else role.value, role)
    if not keys and not problems:
        problems.append(Problem("GRAPHSVC_API_KEYS", "no key in it; unset it to use the local key"))
    if problems:
        raise ValidationFailed(problems)
    return keys
