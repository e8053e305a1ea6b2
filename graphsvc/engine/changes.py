"""Living plans: change a plan while it runs (DESIGN.md section 4, "Live changes").

Each change is one write transaction that checks, under locks, that the plan is
not terminal and ``can_modify`` (and, for a step, that the step ``can_modify``
and is in a status the change allows), applies the change, re-derives the
readiness of the steps it touches, and records a ``PlanModification`` and an
``Event``. A change that is not allowed raises and writes nothing.

Locks follow the order of claims and completions (steps, then the plan node);
dependency changes also lock the plan node before checking for cycles, so
two concurrent additions to one plan cannot close a cycle between them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from graphsvc._errors import ConflictError, NotFoundError, Problem, ValidationFailed
from graphsvc.domain.leases import held_in_chain
from graphsvc.domain.models import StepSpec
from graphsvc.domain.rules import check_changeable, priority_rank, routing_capability
from graphsvc.domain.states import PLAN_TERMINAL, STEP_TERMINAL, PlanStatus, StepStatus
from graphsvc.domain.validation import graph_problems, parse_step
from graphsvc.engine import lifecycle
from graphsvc.engine.chains import release_chains
from graphsvc.engine.family import settle
from graphsvc.engine.gates import gate_events
from graphsvc.engine.progress import recheck, record_events
from graphsvc.ids import new_id
from graphsvc.store._convert import node_props, to_json
from graphsvc.store._db import Database, Tx
from graphsvc.store._events import write_plan_events
from graphsvc.store._modifications import (
    Actor,
    Change,
    ModificationType,
    record_modification,
    record_modifications,
)
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_plan, lock_step
from graphsvc.store.plans import step_row, write_steps

__all__ = [
    "Actor",
    "add_dependency",
    "add_step",
    "add_steps",
    "cancel_step",
    "remove_dependency",
    "remove_step",
    "retry_step",
    "skip_step",
    "update_step",
]

_NOT_STARTED = (StepStatus.PENDING.value, StepStatus.READY.value)
_LIVE_STEP = (*_NOT_STARTED, "ASSIGNED", "EXECUTING", "WAITING")

_PLAN = engine_query("get_plan_for_change")
_TAKEN_KEYS = engine_query("find_taken_keys")
_RESOLVE = engine_query("resolve_step_refs")
_HAS_EDGE = engine_query("has_dependency")
_PATH = engine_query("find_dependency_path")
_ADD_EDGE = engine_query("add_dependency")
_DELETE_EDGE = engine_query("delete_dependency")
_END_STEP = engine_query("end_step")
_DOWNSTREAM = engine_query("find_downstream_steps")
_FAIL_FAST_CANCELLED = engine_query("find_fail_fast_cancelled")
_REARM = engine_query("rearm_steps")
_REOPEN = engine_query("reopen_plan")
_DEPENDENTS = engine_query("find_direct_dependents")
_UPDATE = engine_query("update_step")
_RESERVE = engine_query("reserve_step")
_CURRENT_LINKS = engine_query("get_step_links")
_SET_CAPABILITIES = engine_query("set_step_capabilities")
_REMOVE_STEP = engine_query("remove_step")


def _changeable_step(
    tx: Tx,
    step_id: str,
    allowed: tuple[str, ...],
    what: str,
    allow_failed_plan: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    step, plan = lock_step(tx, step_id)
    check_changeable(plan, allow_failed_plan)
    if not step.get("can_modify", True):
        raise ConflictError(
            "this step does not allow changes (can_modify is false)", {"step_id": step_id}
        )
    if held_in_chain(step):
        # A coordinator's change takes a held chained step out of its chain (DESIGN.md
        # section 2): back where it was, then changed; its claimer's completion of it
        # is refused (409). A rejected change rolls this back with the rest.
        why = f"changed by a coordinator ({what}): out of its chain"
        record_events(tx, release_chains(tx, [step_id], None, why, with_roots=True))
        step, plan = lock_step(tx, step_id)
    if step["status"] not in allowed:
        raise ConflictError(
            f"cannot {what} a step that is {step['status']}; allowed while {', '.join(allowed)}",
            {"step_id": step_id, "status": step["status"]},
        )
    return step, plan


def _lock_plan(tx: Tx, plan_id: str, added: int = 0) -> tuple[int, PlanStatus, int]:
    """Lock the plan, count ``added`` new unfinished steps; the step number of the
    first of them, the plan's status and its priority rank. ``ConflictError`` if the
    plan has ended."""
    record = lock_plan(tx, plan_id, added)
    status = PlanStatus(record["status"])
    if status in PLAN_TERMINAL:  # it ended while we took our locks
        raise ConflictError(
            f"the plan is {record['status']}: a finished plan cannot be changed",
            {"plan_id": plan_id, "status": record["status"]},
        )
    return int(record["first_number"]), status, priority_rank(record.get("priority") or "")


def _resolve(tx: Tx, plan_id: str, refs: list[str], where: str) -> list[dict[str, Any]]:
    """Steps of the plan by id or key, locked; ``ValidationFailed`` naming each bad one."""
    found: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for row in tx.run(_RESOLVE, plan_id=plan_id, refs=refs):
        if row["step"] is not None:
            found.append(dict(row["step"]))
        elif row["elsewhere"]:
            problems.append(
                Problem(
                    where,
                    f"step {row['ref']!r} is in another plan: dependencies cannot cross plans",
                )
            )
        else:
            problems.append(Problem(where, f"no step {row['ref']!r} in this plan"))
    if problems:
        raise ValidationFailed(problems)
    return found


MAX_ADDED_STEPS = 1000


def add_step(
    db: Database, plan_id: str, data: dict[str, Any], actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Add a step to a plan that is not finished; ``data`` is a step spec whose
    ``depends_on`` names existing steps of the plan by id or key.

    The step is READY at once when its dependencies are satisfied and the plan
    runs (claimable as soon as this commits) and counts in progress at once.
    Returns ``{"step_id", "key", "status", "modification_id"}``. Raises
    ``ValidationFailed`` (bad spec, duplicate key, unknown or cross-plan
    dependency), ``NotFoundError`` or ``ConflictError`` (plan finished or
    not modifiable); nothing is written then.
    """
    return _add(db, plan_id, [data], actor, reason, lambda _: "step")[0]


def add_steps(
    db: Database,
    plan_id: str,
    data: list[dict[str, Any]],
    actor: Actor,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """Add up to ``MAX_ADDED_STEPS`` steps to a plan that is not finished, in one
    transaction, as ``add_step`` adds one: each is recorded as its own ``ADD_STEP``
    ``PlanModification``. A step's ``depends_on`` names steps of the plan (id or
    key) or other steps of the batch (key); the batch must not form a cycle.

    Returns one ``{"step_id", "key", "status", "modification_id"}`` per step, in
    order. Raises ``ValidationFailed`` listing every problem, located as
    ``steps[i]...``, ``NotFoundError`` or ``ConflictError``; all or nothing.
    """
    if not 1 <= len(data) <= MAX_ADDED_STEPS:
        raise ValidationFailed(
            [Problem("steps", f"give 1 to {MAX_ADDED_STEPS} steps, not {len(data)}")]
        )
    return _add(db, plan_id, data, actor, reason, lambda i: f"steps[{i}]")


def _parse_batch(
    data: list[dict[str, Any]], where: Callable[[int], str]
) -> tuple[list[StepSpec], list[Problem]]:
    """The parsed steps and the problems of the batch on its own (fields, keys given
    twice, cycles among its steps); dependencies on the plan are resolved later."""
    steps: list[StepSpec] = []
    problems: list[Problem] = []
    for i, item in enumerate(data):
        try:
            steps.append(parse_step(item, where(i)))
        except ValidationFailed as exc:
            problems += exc.problems
    if problems:
        return [], problems
    position: dict[str, int] = {}
    duplicates: list[str] = []
    for i, step in enumerate(steps):
        if step.key in position:
            duplicates.append(step.key)
        position.setdefault(step.key, i)
    keys = list(position)
    inner = {s.key: [d for d in s.depends_on if d in position] for s in steps}
    problems = graph_problems(keys, inner, lambda k: where(position[k]), duplicates=duplicates)
    return steps, problems


def _add(
    db: Database,
    plan_id: str,
    data: list[dict[str, Any]],
    actor: Actor,
    reason: str | None,
    where: Callable[[int], str],
) -> list[dict[str, Any]]:
    steps, problems = _parse_batch(data, where)
    if problems:
        raise ValidationFailed(problems)
    ids = {s.key: new_id() for s in steps}

    def work(tx: Tx) -> list[dict[str, Any]]:
        record = tx.run(_PLAN, plan_id=plan_id).single()
        if record is None:
            raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
        check_changeable(dict(record["plan"]))
        outside = list(dict.fromkeys(d for s in steps for d in s.depends_on if d not in ids))
        found: list[dict[str, Any]] = []
        unresolved: list[Problem] = []
        try:
            located = f"{where(0)}.depends_on" if len(steps) == 1 else "depends_on"
            found = _resolve(tx, plan_id, outside, located) if outside else []
        except ValidationFailed as exc:
            unresolved = exc.problems
        # After the dependencies' locks (steps, then plan: the order completions take).
        # Keys are checked under the plan's lock: two batches adding one key take turns.
        number, status, rank = _lock_plan(tx, plan_id, added=len(steps))
        taken = set(tx.run(_TAKEN_KEYS, plan_id=plan_id, keys=list(ids)).single(strict=True)[0])
        clashes = [
            Problem(f"{where(i)}.key", f"the plan already has a step {s.key!r}")
            for i, s in enumerate(steps)
            if s.key in taken
        ]
        if clashes or unresolved:
            raise ValidationFailed(clashes + unresolved)
        existing = {ref: f for f in found for ref in outside if ref in (f["id"], f["key"])}
        deps = {
            s.key: [
                existing[d] if d in existing else {"id": ids[d], "key": d}
                for d in dict.fromkeys(s.depends_on)
            ]
            for s in steps
        }
        # A step with no dependencies in a running plan is created READY (recheck's rule
        # with nothing to check): no re-check and no STEP_READY event for it.
        runs = status in (PlanStatus.EXECUTING, PlanStatus.PAUSED)
        created = {
            s.key: StepStatus.READY if runs and not deps[s.key] else StepStatus.PENDING
            for s in steps
        }
        write_steps(
            tx,
            [
                (plan_id, step_row(s, ids[s.key], number + i, created[s.key], rank))
                for i, s in enumerate(steps)
            ],
            [[ids[s.key], d["id"]] for s in steps for d in deps[s.key]],
            [(ids[s.key], c) for s in steps for c in s.requires_capabilities],
        )
        # The ADD_STEP modifications' events are the steps' creation (to ``created``).
        recorded = record_modifications(
            tx,
            plan_id,
            [
                Change(
                    ids[s.key],
                    ModificationType.ADD_STEP,
                    new={
                        **s.model_dump(mode="json", by_alias=True),
                        "depends_on": [d["key"] for d in deps[s.key]],
                    },
                    created=created[s.key],
                )
                for s in steps
            ],
            actor,
            reason,
        )
        for event, s in zip(recorded, steps, strict=True):
            event["kind"] = str(s.kind)  # a READY one is looked up only if it is a gate
        blocked = [ids[s.key] for s in steps if created[s.key] == StepStatus.PENDING]
        events = recorded + (recheck(tx, blocked, actor.id) if blocked else [])
        events += gate_events(tx, events)  # a gate step added READY waits for a person
        write_plan_events(tx, events)
        # Each new step's status is the last one its events moved it to.
        statuses = {e["step_id"]: e["to_status"] for e in events if e.get("to_status")}
        return [
            {
                "step_id": ids[s.key],
                "key": s.key,
                "status": statuses[ids[s.key]],
                "modification_id": event["detail"]["modification_id"],
            }
            for s, event in zip(steps, recorded, strict=True)
        ]

    return db.write(work)


def _result(step_id: str, tx: Tx, event: dict[str, Any] | None) -> dict[str, Any]:
    status = tx.run(engine_query("get_step_status"), id=step_id).single(strict=True)["status"]
    return {
        "step_id": step_id,
        "status": status,
        "modification_id": event["detail"]["modification_id"] if event else None,
    }


def add_dependency(
    db: Database, step_id: str, depends_on: str, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Make ``step_id`` depend on ``depends_on`` (a step of the same plan, by id or key).

    Only while the step has not started: a READY step goes back to PENDING when
    the new dependency is not satisfied; a satisfied one (e.g. COMPLETED) blocks
    nothing. An edge that exists already is left as it is (nothing recorded).
    Returns ``{"step_id", "status", "modification_id"}``. Raises
    ``ValidationFailed`` (unknown, cross-plan or self dependency; a cycle,
    named), ``NotFoundError``, ``ConflictError`` (started step, finished or
    unmodifiable plan or step); nothing is written then.
    """

    def work(tx: Tx) -> dict[str, Any]:
        step, plan = _changeable_step(tx, step_id, _NOT_STARTED, "add a dependency to")
        [dep] = _resolve(tx, plan["id"], [depends_on], "depends_on")
        if dep["id"] == step_id:
            raise ValidationFailed([Problem("depends_on", "a step cannot depend on itself")])
        _lock_plan(tx, plan["id"])  # one dependency change per plan at a time: no racing cycles
        if tx.run(_HAS_EDGE, from_id=step_id, to_id=dep["id"]).single(strict=True)["n"]:
            return _result(step_id, tx, None)
        cycle = tx.run(_PATH, from_id=dep["id"], to_id=step_id).single()
        if cycle is not None:
            keys = [step["key"], *cycle["keys"]]
            raise ValidationFailed(
                [Problem("depends_on", "this dependency would make a cycle: " + " -> ".join(keys))]
            )
        tx.run(_ADD_EDGE, from_id=step_id, to_id=dep["id"]).consume()
        events = recheck(tx, [step_id], actor.id)
        event = record_modification(
            tx,
            plan["id"],
            step_id,
            ModificationType.ADD_DEPENDENCY,
            actor,
            reason,
            None,
            {"depends_on": dep["key"], "depends_on_id": dep["id"]},
        )
        record_events(tx, [*events, event])
        return _result(step_id, tx, event)

    return db.write(work)


def remove_dependency(
    db: Database, step_id: str, depends_on: str, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Remove the edge ``step_id -> depends_on`` (by id or key): "unblock". The step is
    re-checked and becomes READY if nothing else blocks it. Removing an edge that
    does not exist answers the same and records nothing. Only while the step has
    not started. Returns ``{"step_id", "status", "modification_id"}`` (None when
    nothing changed). Raises ``NotFoundError`` or ``ConflictError``."""

    def work(tx: Tx) -> dict[str, Any]:
        _, plan = _changeable_step(tx, step_id, _NOT_STARTED, "remove a dependency of")
        removed = tx.run(_DELETE_EDGE, from_id=step_id, dep=depends_on).data()
        if not removed:
            return _result(step_id, tx, None)
        events = recheck(tx, [step_id], actor.id)
        event = record_modification(
            tx,
            plan["id"],
            step_id,
            ModificationType.REMOVE_DEPENDENCY,
            actor,
            reason,
            {"depends_on": removed[0]["dep_key"], "depends_on_id": removed[0]["dep_id"]},
            None,
        )
        record_events(tx, [*events, event])
        return _result(step_id, tx, event)

    return db.write(work)


def remove_step(
    db: Database, step_id: str, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Remove a step that has not started (PENDING or READY) from its plan: REMOVE_STEP.

    It stops counting in the plan's progress and stops gating its dependents, which
    are re-checked (READY when nothing else blocks them); the plan may end. The node
    stays for the audit: CANCELLED, out of its plan's ``CONTAINS_STEP``, linked from
    its modification by ``REMOVES_STEP`` (old value: its key, status, dependencies and
    the dependents it gated). Its ``DEPENDS_ON`` edges go and its key may be used
    again. Returns ``{"step_id", "status", "modification_id"}``. Raises
    ``NotFoundError``, or ``ConflictError`` when the step has started or the plan has
    ended or forbids changes."""

    def work(tx: Tx) -> dict[str, Any]:
        step, plan = _changeable_step(tx, step_id, _NOT_STARTED, "remove")
        row = tx.run(_REMOVE_STEP, step_id=step_id, reason=reason).single(strict=True)
        dependents = row["dependents"]
        events: list[dict[str, Any]] = [
            {
                "plan_id": plan["id"],
                "step_id": step_id,
                "type": "STEP_REMOVED",
                "from_status": step["status"],
                "to_status": StepStatus.CANCELLED.value,
                "actor": actor.id,
                "message": reason,
            }
        ]
        old = {
            "key": step["key"],
            "status": step["status"],
            "depends_on": sorted(row["depends_on"]),
            "dependents": sorted(d["key"] for d in dependents),
        }
        event = record_modification(
            tx, plan["id"], step_id, ModificationType.REMOVE_STEP, actor, reason, old, None
        )
        events.append(event)
        events += recheck(tx, [d["id"] for d in dependents], actor.id)
        events += settle(tx, plan["id"], [step_id], False, plan["on_failure"], actor.id)
        record_events(tx, events)
        return _result(step_id, tx, event)

    return db.write(work)


def _end_step(
    db: Database, step_id: str, status: StepStatus, actor: Actor, reason: str | None
) -> dict[str, Any]:
    kind = (
        ModificationType.CANCEL_STEP
        if status == StepStatus.CANCELLED
        else (ModificationType.SKIP_STEP)
    )
    verb = "cancel" if status == StepStatus.CANCELLED else "skip"

    def work(tx: Tx) -> tuple[dict[str, Any], list[str]]:
        step, plan = _changeable_step(tx, step_id, _LIVE_STEP, verb)
        children = tx.run(
            _END_STEP,
            step_id=step_id,
            status=status.value,
            reason=reason,
            terminal_plans=sorted(PLAN_TERMINAL),
        ).single(strict=True)["children"]
        events: list[dict[str, Any]] = [
            {
                "plan_id": plan["id"],
                "step_id": step_id,
                "type": f"STEP_{status.value}",
                "from_status": step["status"],
                "to_status": status.value,
                "actor": actor.id,
                "message": reason,
            }
        ]
        event = record_modification(
            tx,
            plan["id"],
            step_id,
            kind,
            actor,
            reason,
            {"status": step["status"]},
            {"status": status.value},
        )
        events.append(event)
        # The steps chained behind it will not follow it: out of their chain, then
        # the step stops gating: its dependents proceed, and the plan may end.
        events += release_chains(tx, [step_id], actor.id, f"step {step['key']} before it ended")
        events += settle(tx, plan["id"], [step_id], False, plan["on_failure"], actor.id)
        record_events(tx, events)
        return _result(step_id, tx, event), list(children)

    result, children = db.write(work)
    for child_id in children:  # a waiting step's children go with it
        with suppress(ConflictError):  # it finished meanwhile
            lifecycle.transition_plan(db, child_id, "cancel", actor.id, reason)
    return result


def cancel_step(
    db: Database, step_id: str, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Cancel a step that has not finished (PENDING, READY, WAITING, ASSIGNED, EXECUTING).

    A running step's lease is revoked (its worker's next heartbeat or complete
    is a 409); a waiting step's child plans are cancelled with their families.
    A cancelled step stops gating: its dependents proceed (DESIGN.md section 2).
    Returns ``{"step_id", "status", "modification_id"}``. Raises
    ``NotFoundError`` or ``ConflictError``."""
    return _end_step(db, step_id, StepStatus.CANCELLED, actor, reason)


def skip_step(
    db: Database, step_id: str, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Skip a step that has not finished: as ``cancel_step``, recorded as SKIPPED."""
    return _end_step(db, step_id, StepStatus.SKIPPED, actor, reason)


def retry_step(
    db: Database,
    step_id: str,
    actor: Actor,
    reason: str | None = None,
    reset_downstream: bool = False,
) -> dict[str, Any]:
    """Re-arm a FAILED step: PENDING, or READY when its dependencies are satisfied,
    with its attempts counted from zero.

    A FAILED plan returns to EXECUTING, and the steps its FAIL_FAST cancelled
    are re-armed too. With ``reset_downstream`` every finished step downstream
    of it (transitively) is re-armed as well, to run again. READY dependents
    that the re-armed steps now block go back to PENDING. Returns
    ``{"step_id", "status", "modification_id", "reset": [keys]}``. Raises
    ``NotFoundError`` or ``ConflictError`` (not FAILED; plan COMPLETED or
    CANCELLED; not modifiable)."""

    def work(tx: Tx) -> dict[str, Any]:
        step, plan = _changeable_step(
            tx, step_id, (StepStatus.FAILED.value,), "retry", allow_failed_plan=True
        )
        terminal = sorted(STEP_TERMINAL)
        ids = [step_id]
        if reset_downstream:
            ids += tx.run(_DOWNSTREAM, step_id=step_id, terminal=terminal).single(strict=True)[
                "ids"
            ]
        if plan["status"] == PlanStatus.FAILED.value:
            ids += tx.run(_FAIL_FAST_CANCELLED, plan_id=plan["id"]).single(strict=True)["ids"]
        rearmed = tx.run(_REARM, step_ids=list(dict.fromkeys(ids)), terminal=terminal).data()
        plan_row = tx.run(
            _REOPEN,
            plan_id=plan["id"],
            rearmed=len(rearmed),
            critical=sum(1 for r in rearmed if r["critical"]),
        ).single(strict=True)
        events: list[dict[str, Any]] = []
        if plan_row["old"] != plan_row["new"]:
            events.append(
                {
                    "plan_id": plan["id"],
                    "type": "PLAN_REOPEN",
                    "from_status": plan_row["old"],
                    "to_status": plan_row["new"],
                    "actor": actor.id,
                    "message": reason,
                }
            )
        events += [
            {
                "plan_id": plan["id"],
                "step_id": r["id"],
                "type": "STEP_RETRIED",
                "from_status": r["old"],
                "to_status": StepStatus.PENDING.value,
                "actor": actor.id,
                "message": reason,
            }
            for r in rearmed
        ]
        touched = [r["id"] for r in rearmed]
        touched += tx.run(_DEPENDENTS, step_ids=touched).single(strict=True)["ids"]
        events += recheck(tx, list(dict.fromkeys(touched)), actor.id)
        keys = [r["key"] for r in rearmed]
        event = record_modification(
            tx,
            plan["id"],
            step_id,
            ModificationType.RETRY_STEP,
            actor,
            reason,
            {"status": StepStatus.FAILED.value, "error_message": step.get("error_message")},
            {"reset": keys, "reset_downstream": reset_downstream},
        )
        events.append(event)
        record_events(tx, events)
        return {**_result(step_id, tx, event), "reset": keys}

    return db.write(work)


_PATCHABLE = (
    "name",
    "description",
    "inputs",
    "kind",
    "max_retries",
    "timeout_seconds",
    "requires_capabilities",
    "assignee",
)


def update_step(
    db: Database, step_id: str, patch: dict[str, Any], actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    """Edit a step that has not started: any of ``name``, ``description``, ``inputs``,
    ``kind``, ``max_retries``, ``timeout_seconds``, ``requires_capabilities`` and
    ``assignee`` (the agent id that alone may claim it; null for any). The result
    is validated as a step spec. Records the old and new values of what changed
    (nothing when nothing did). Returns ``{"step_id", "status",
    "modification_id"}``. Raises ``ValidationFailed`` (unknown field, invalid
    value), ``NotFoundError``, ``ConflictError`` (started step; plan or step
    not modifiable)."""
    unknown = sorted(set(patch) - set(_PATCHABLE))
    if unknown:
        raise ValidationFailed(
            [
                Problem(f"patch.{k}", f"not editable; editable: {', '.join(_PATCHABLE)}")
                for k in unknown
            ]
        )

    def work(tx: Tx) -> dict[str, Any]:
        step, plan = _changeable_step(tx, step_id, _NOT_STARTED, "edit")
        current = node_props(step)
        links = tx.run(_CURRENT_LINKS, id=step_id).single(strict=True)
        before: dict[str, Any] = {
            "name": current.get("name"),
            "description": current.get("description", ""),
            "inputs": current.get("inputs") or {},
            "kind": current["kind"],
            "max_retries": current.get("max_retries", 0),
            "timeout_seconds": current.get("timeout_seconds"),
            "requires_capabilities": sorted(links["capabilities"]),
            "assignee": links["assignee"],
        }
        after = {**before, **patch}
        spec: StepSpec = parse_step(
            {"key": current["key"], **{k: v for k, v in after.items() if k != "assignee"}},
            "patch",
        )
        after["requires_capabilities"] = sorted(set(spec.requires_capabilities))
        changed = {k: after[k] for k in _PATCHABLE if after[k] != before[k]}
        if not changed:
            return _result(step_id, tx, None)
        props = {
            k: to_json(v) if k == "inputs" else v
            for k, v in changed.items()
            if k not in ("requires_capabilities", "assignee")
        }
        if "assignee" in changed:
            tx.run(_RESERVE, step_id=step_id, agent_id=changed["assignee"]).consume()
        if props:
            tx.run(_UPDATE, step_id=step_id, props=props).consume()
        if "requires_capabilities" in changed:
            names = changed["requires_capabilities"]
            tx.run(
                _SET_CAPABILITIES,
                step_id=step_id,
                capabilities=names,
                routing=routing_capability(names),
                ids={name: new_id() for name in names},
            ).consume()
        _lock_plan(tx, plan["id"])
        event = record_modification(
            tx,
            plan["id"],
            step_id,
            ModificationType.REASSIGN_AGENT
            if set(changed) == {"assignee"}
            else (ModificationType.MODIFY_STEP),
            actor,
            reason,
            {k: before[k] for k in changed},
            changed,
        )
        record_events(tx, [event])
        return _result(step_id, tx, event)

    return db.write(work)
