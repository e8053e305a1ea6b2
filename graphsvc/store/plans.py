"""Plans in the graph: the records of a validated spec, and the plan read queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphsvc._errors import NotFoundError, Problem, ValidationFailed
from graphsvc.domain.models import (
    PlanPublic,
    PlanSpec,
    PlanSummary,
    StepSpec,
)
from graphsvc.domain.rules import (
    PRIORITY_RANKS,
    claim_shard,
    priority_rank,
    progress_from_counts,
    progress_of,
    routing_capability,
)
from graphsvc.domain.states import PlanStatus, StepStatus
from graphsvc.ids import new_id
from graphsvc.store._convert import node_props, to_json
from graphsvc.store._db import Database, Tx
from graphsvc.store._events import write_plan_events
from graphsvc.store._queries import engine_query, load_query

__all__ = [
    "NewPlan",
    "get_plan",
    "list_plans",
    "plan_query",
    "ready_steps",
    "step_row",
    "steps_settled",
    "write_plans",
    "write_steps",
]

_CREATE_PLANS = engine_query("create_plans")
_LINK_ANALYSIS = engine_query("link_analysis")
_LINK_MANAGERS = engine_query("link_plan_managers")
_CREATE_STEPS = engine_query("create_steps")
_CREATE_EDGES = engine_query("create_dependencies")
_LINK_CAPABILITIES = engine_query("link_capabilities")
_BATCH = 5000


def _plan_props(plan_id: str, spec: PlanSpec) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": spec.name,
        "description": spec.description,
        "status": PlanStatus.DRAFT.value,
        "priority": spec.priority.value,
        "requires_approval": spec.requires_approval,
        "can_modify": spec.can_modify,
        "modifications_require_approval": spec.modifications_require_approval,
        "max_parallel": spec.max_parallel,
        "on_failure": spec.on_failure.value,
        "estimated_duration": spec.estimated_duration,
        "version": 1,
        "unfinished": len(spec.steps),
        "last_step_number": len(spec.steps),
        "failed_critical": 0,
    }


def _chunks(rows: list[Any], size: int = _BATCH) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def step_row(
    step: StepSpec,
    step_id: str,
    number: int,
    status: StepStatus = StepStatus.PENDING,
    rank: int = PRIORITY_RANKS["MEDIUM"],
) -> dict[str, Any]:
    """The stored properties of a new step (``status``, PENDING unless the caller knows
    it may run at once; no attempts yet; ``rank``: its plan's ``priority_rank``, which
    claims seek by)."""
    return {
        "id": step_id,
        "key": step.key,
        "step_number": number,
        "name": step.title,
        "description": step.description,
        "kind": str(step.kind),
        "routing_capability": routing_capability(step.requires_capabilities),
        "priority_rank": rank,
        "claim_shard": claim_shard(),
        "status": status.value,
        "inputs": to_json(step.inputs),
        "max_retries": step.max_retries,
        "retry_count": 0,
        "max_lease_losses": step.max_lease_losses,
        "lease_losses": 0,
        "timeout_seconds": step.timeout_seconds,
        "deadline_seconds": step.deadline_seconds,
        "is_critical": step.is_critical,
        "can_modify": step.can_modify,
        "validate_command": step.validate_command,
        "estimated_duration": step.estimated_duration,
    }


def write_steps(
    tx: Tx,
    rows: list[tuple[str, dict[str, Any]]],
    edges: list[list[str]],
    capabilities: list[tuple[str, str]],
) -> None:
    """Create steps ``(plan_id, step_row)``, ``DEPENDS_ON`` edges ``[from_id, to_id]`` and
    ``REQUIRES_CAPABILITY`` links ``(step_id, capability)``, batched with UNWIND."""
    for chunk in _chunks(rows):
        groups: dict[str, list[dict[str, Any]]] = {}
        for plan_id, row in chunk:
            groups.setdefault(plan_id, []).append(row)
        tx.run(
            _CREATE_STEPS, groups=[{"plan_id": k, "steps": v} for k, v in groups.items()]
        ).consume()
    for chunk in _chunks(edges):
        tx.run(_CREATE_EDGES, edges=chunk).consume()
    caps = [{"name": c, "id": new_id(), "step_id": sid} for sid, c in capabilities]
    for chunk in _chunks(caps):
        tx.run(_LINK_CAPABILITIES, rows=chunk).consume()


@dataclass(frozen=True)
class NewPlan:
    """A validated plan to write: its id, spec, step ids by key, and extra plan
    properties (a child plan's place in its family)."""

    id: str
    spec: PlanSpec
    step_ids: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def write_plans(tx: Tx, new: list[NewPlan], actor: str | None) -> None:
    """Write validated plans in ``tx``, batched with UNWIND across all of them: a
    handful of queries whether it is one plan of 10,000 steps or 100 plans of 10.
    Raises ``ValidationFailed`` for an unknown ``analysis_id``."""
    tx.run(_CREATE_PLANS, plans=[{**_plan_props(n.id, n.spec), **n.extra} for n in new]).consume()
    managers = [
        {"plan_id": n.id, "agent_id": n.spec.manager_agent_id}
        for n in new
        if n.spec.manager_agent_id is not None
    ]
    if managers:
        tx.run(_LINK_MANAGERS, rows=managers).consume()
    for n in new:
        if n.spec.analysis_id is None:
            continue
        linked = tx.run(_LINK_ANALYSIS, analysis_id=n.spec.analysis_id, plan_id=n.id).single()
        if linked is None or linked["linked"] == 0:
            raise ValidationFailed(
                [Problem("analysis_id", f"no Analysis with id {n.spec.analysis_id!r}")]
            )
    write_steps(
        tx,
        [
            (
                n.id,
                step_row(
                    step,
                    n.step_ids[step.key],
                    number,
                    rank=priority_rank(n.spec.priority),
                ),
            )
            for n in new
            for number, step in enumerate(n.spec.steps, start=1)
        ],
        [
            [n.step_ids[s.key], n.step_ids[d]]
            for n in new
            for s in n.spec.steps
            for d in s.depends_on
        ],
        [
            (n.step_ids[s.key], c)
            for n in new
            for s in n.spec.steps
            for c in s.requires_capabilities
        ],
    )
    write_plan_events(
        tx,
        [
            {
                "plan_id": n.id,
                "type": "PLAN_CREATED",
                "to_status": PlanStatus.DRAFT.value,
                "actor": actor,
                "message": f"plan {n.spec.name!r} created with {len(n.spec.steps)} steps",
            }
            for n in new
        ],
    )


# Without a limit: every step (the store's own readers of whole plans).
_ALL_STEPS = 2**62


def _plan_record(tx: Tx, plan_id: str, steps_after: int, limit: int) -> dict[str, Any] | None:
    record = tx.run(
        load_query("get_plan").body, plan_id=plan_id, steps_after=steps_after, limit=limit
    ).single()
    return None if record is None else record.data()


def steps_settled(steps: list[dict[str, Any]]) -> bool:
    """Whether every step as read has its status: a step read while its transaction is
    being applied can come back without properties (``Database.read_settled``)."""
    return all(s.get("status") is not None for s in steps)


def get_plan(
    db: Database, plan_id: str, steps_after: int = 0, limit: int | None = None
) -> PlanPublic:
    """The plan with its steps in order (those numbered after ``steps_after``, at most
    ``limit``; all without one), their dependencies, and the progress of all its
    steps; ``next_steps_after`` is the ``steps_after`` of the next page (None after
    the last). ``NotFoundError`` if none. A step read mid-write without its
    properties is read again (``Database.read_settled``)."""
    size = _ALL_STEPS if limit is None else limit + 1  # one more: is there a next page?
    record = db.read_settled(
        _plan_record,
        lambda r: r is None or steps_settled(r["steps"]),
        plan_id,
        steps_after,
        size,
    )
    if record is None:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    steps = [node_props(s) for s in record["steps"]]
    more = limit is not None and len(steps) > limit
    steps = steps[:limit] if limit is not None else steps
    counts = {c["status"]: c["count"] for c in record["statuses"] if c["count"]}
    return PlanPublic.model_validate(
        {
            **node_props(record["plan"]),
            "steps": steps,
            "progress": progress_from_counts(counts),
            "next_steps_after": steps[-1]["step_number"] if more else None,
        }
    )


def list_plans(
    db: Database, *, root_only: bool = True, status: PlanStatus | None = None, limit: int = 100
) -> list[PlanSummary]:
    """Plans newest first with progress; root plans only unless ``root_only`` is False."""
    query = load_query("list_root_plans").body

    def work(tx: Tx) -> list[dict[str, Any]]:
        return tx.run(
            query, root_only=root_only, status=status and status.value, limit=limit
        ).data()

    return [
        PlanSummary.model_validate(
            {**node_props(row["plan"]), "progress": progress_of(row["statuses"])}
        )
        for row in db.read(work)
    ]


def plan_query(db: Database, name: str, plan_id: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of query file ``cypher/<name>.cypher`` for one plan (its ``$plan_id``, and
    ``params``), read in one transaction with the plan's existence; ``NotFoundError`` if
    no such plan."""
    query = load_query(name).body

    def work(tx: Tx) -> list[dict[str, Any]] | None:
        if tx.run(engine_query("find_plan"), id=plan_id).single() is None:
            return None
        return tx.run(query, plan_id=plan_id, **params).data()

    rows = db.read(work)
    if rows is None:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return rows


def ready_steps(db: Database, plan_id: str) -> list[dict[str, Any]]:
    """What could run now in the plan, from scratch (``cypher/get_ready_steps.cypher``)."""
    return plan_query(db, "get_ready_steps", plan_id)
