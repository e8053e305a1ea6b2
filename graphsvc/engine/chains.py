"""Chain leases (DESIGN.md sections 2 and 8; like Temporal's local activities and
Flink's operator chaining): a claim that asks for chains also leases, behind each step
it claims, the steps that can only run after it, so the claimer runs them back to
back and completes them together: a chain of k steps costs one claim and one
completion instead of k of each.

A chain link is a PENDING step that depends on the step before it alone and is that
step's only dependent, of a kind and capabilities the claimer takes, not a human gate
(``approval``, ``human_input``: those wait for a person when they become READY), not
reserved for another agent. Leased with the chain it becomes ASSIGNED (``STEP_CHAINED``) with
``chained_after`` naming the step before; while that step has not COMPLETED the link
is *held*: only its claimer may complete it (in the same batch as the step before, or
after), and it cannot start or fail. When the chain breaks (the step before fails,
is cancelled or skipped, or loses its lease; or a coordinator changes the link
itself) its held links return to PENDING (``STEP_CHAIN_RELEASED``), where they were,
and their dependencies make them READY again as for any step.
"""

from __future__ import annotations

from typing import Any

from graphsvc.domain.leases import new_tokens
from graphsvc.domain.models import GATE_KINDS
from graphsvc.domain.states import StepStatus
from graphsvc.engine.progress import recheck
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = ["lease_chains", "release_chains"]

_FIND = engine_query("find_chains")
_LEASE = engine_query("lease_chains")
_RELEASE = engine_query("release_chains")
_HOP = 64  # links find_chains walks at most in one query


def lease_chains(
    tx: Tx,
    heads: list[str],
    budget: int,
    agent_id: str,
    kinds: list[str],
    capabilities: list[str],
    lease_seconds: float,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Lease the chains behind the claimed steps ``heads`` (in order, the first ones
    first) to ``agent_id``, ``budget`` links at most in all. Returns each head's leased
    links in chain order (claim rows, each with ``chained_after``) and the lease
    tokens by their hash."""
    if budget <= 0 or not heads:
        return {}, {}
    # Who claims, as both queries take it: the same kinds, capabilities and gates.
    claimer: dict[str, Any] = {
        "agent_id": agent_id,
        "kinds": kinds,
        "capabilities": capabilities,
        "gate_kinds": sorted(GATE_KINDS),
    }
    chains = _find(tx, heads, budget, claimer)
    wanted: list[dict[str, Any]] = []
    tokens: dict[str, str] = {}
    for head in heads:
        ids = chains.get(head, [])[:budget]
        if not ids:
            continue
        budget -= len(ids)
        new = new_tokens(len(ids))
        tokens.update(new)
        wanted.append({"head": head, "ids": ids, "hashes": list(new)})
        if budget <= 0:
            break
    if not wanted:
        return {}, {}
    rows = tx.run(_LEASE, chains=wanted, lease_seconds=lease_seconds, **claimer)
    return {r["head"]: r["steps"] for r in rows if r["steps"]}, tokens


def _find(tx: Tx, heads: list[str], budget: int, claimer: dict[str, Any]) -> dict[str, list[str]]:
    """Each head's chain (link ids in order), at most ``budget`` links long, for
    ``claimer`` (``lease_chains``): found ``_HOP`` links a query, asked again from the
    last link while a chain is that long."""
    chains: dict[str, list[str]] = {head: [] for head in heads}
    ends = {head: head for head in heads}  # where each chain's walk goes on from
    while ends:
        found = tx.run(_FIND, head_ids=list(ends.values()), **claimer).data()
        links = {row["head"]: row["chain"] for row in found}
        longer = {}
        for head, end in ends.items():
            got = links.get(end, [])
            chains[head] += got
            if len(got) == _HOP and len(chains[head]) < budget:
                longer[head] = got[-1]
        ends = longer
    return chains


def release_chains(
    tx: Tx, step_ids: list[str], actor: str | None, why: str, with_roots: bool = False
) -> list[dict[str, Any]]:
    """The chained steps held behind ``step_ids`` (and, ``with_roots``, those steps
    themselves when held) leave their chain: PENDING again, then READY if their
    dependencies allow it (``progress.recheck``). Returns the events to write:
    ``STEP_CHAIN_RELEASED`` with ``why``, then any ``STEP_READY``."""
    if not step_ids:
        return []
    released = tx.run(_RELEASE, step_ids=step_ids, with_roots=with_roots).single(strict=True)[
        "released"
    ]
    events = [
        {
            "plan_id": r["plan_id"],
            "step_id": r["id"],
            "type": "STEP_CHAIN_RELEASED",
            "from_status": StepStatus.ASSIGNED.value,
            "to_status": StepStatus.PENDING.value,
            "actor": actor,
            "message": why,
        }
        for r in released
    ]
    if released:
        events += recheck(tx, [r["id"] for r in released], actor)
    return events
