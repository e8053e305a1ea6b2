"""The one table of status transitions (DESIGN.md section 2; issue 19): for steps, plans,
decisions, plan modifications and agent communications, each transition's name, the
statuses it may start from (``None``: it creates the subject), its to-status and the
type of the ``Event`` it writes.

Every ``Event`` the service writes is one of these transitions (a test checks every
event in the graph at the end of the suite), and the checks of worker and plan
transitions (``STEP_TRANSITIONS``, ``PLAN_TRANSITIONS``) come from here. The queries
of ``cypher/engine/`` spell no status out: they name them as parameters
(``query_parameters``) that the store fills from this table. Events of a plan
modification that changes no status (``PLAN_MODIFIED_*`` other than ``ADD_STEP``) go
from ``None`` to ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from graphsvc.domain.states import (
    PLAN_RUNNING,
    PLAN_TERMINAL,
    SATISFIED_DEPENDENCY,
    STEP_LEASED,
    STEP_RUNNABLE,
    STEP_TERMINAL,
    STEP_UNSTARTED,
    AgentStatus,
    AnalysisStatus,
    PlanStatus,
    StepStatus,
)

__all__ = [
    "COMMUNICATION_STATUSES",
    "DECISION_STATUSES",
    "MODIFICATION_STATUSES",
    "MODIFICATION_TYPES",
    "PLAN_TRANSITIONS",
    "STEP_TRANSITIONS",
    "TRANSITIONS",
    "Subject",
    "Transition",
    "allowed_from",
    "find_transition",
    "query_parameters",
    "transition",
]


class Subject(StrEnum):
    STEP = "step"
    PLAN = "plan"
    DECISION = "decision"
    MODIFICATION = "modification"
    COMMUNICATION = "communication"


@dataclass(frozen=True)
class Transition:
    """One allowed change of status: ``from_statuses`` (``None`` among them: the change
    creates its subject) to ``to_status`` (``None``: no status changes), recorded as an
    event of ``event_type``."""

    subject: Subject
    name: str
    from_statuses: frozenset[str | None]
    to_status: str | None
    event_type: str

    def allows(self, from_status: str | None) -> bool:
        return from_status in self.from_statuses


DECISION_STATUSES = ("PENDING", "APPROVED", "REJECTED", "EXECUTED")
MODIFICATION_STATUSES = ("REQUESTED", "APPROVED", "REJECTED", "APPLIED")
COMMUNICATION_STATUSES = ("SENT", "RECEIVED", "ACKNOWLEDGED", "RESPONDED")
MODIFICATION_TYPES = (
    "ADD_STEP",
    "REMOVE_STEP",
    "MODIFY_STEP",
    "ADD_DEPENDENCY",
    "REMOVE_DEPENDENCY",
    "CANCEL_STEP",
    "SKIP_STEP",
    "RETRY_STEP",
    "REASSIGN_AGENT",
    "CHANGE_ORDER",
    "REPLAN",
)

S = StepStatus
P = PlanStatus
_UNSTARTED = (S.PENDING, S.READY)
_LEASED = (S.ASSIGNED, S.EXECUTING)
_LIVE = (*_UNSTARTED, S.WAITING, *_LEASED)
_STEP_TERMINAL = (S.COMPLETED, S.FAILED, S.SKIPPED, S.CANCELLED)
_PLAN_LIVE = (P.DRAFT, P.APPROVED, P.EXECUTING, P.PAUSED)


def _t(
    subject: Subject,
    name: str,
    from_statuses: tuple[str | None, ...],
    to_status: str | None,
    event_type: str,
) -> Transition:
    return Transition(subject, name, frozenset(from_statuses), to_status, event_type)


_STEP = Subject.STEP
_PLAN = Subject.PLAN
_DECISION = Subject.DECISION

TRANSITIONS: tuple[Transition, ...] = (
    # Steps. A step is created by its plan (no event of its own) or added to a running
    # plan (its ADD_STEP modification event: PENDING, READY or, for a gate, WAITING).
    _t(_STEP, "add", (None,), S.PENDING, "PLAN_MODIFIED_ADD_STEP"),
    _t(_STEP, "add_ready", (None,), S.READY, "PLAN_MODIFIED_ADD_STEP"),
    _t(_STEP, "add_waiting", (None,), S.WAITING, "PLAN_MODIFIED_ADD_STEP"),
    _t(_STEP, "ready", (S.PENDING,), S.READY, "STEP_READY"),
    _t(_STEP, "block", (S.READY,), S.PENDING, "STEP_BLOCKED"),
    _t(_STEP, "claim", (S.READY,), S.ASSIGNED, "STEP_CLAIMED"),
    # Chain leases (DESIGN.md section 2): a claim with ``chain`` also leases the steps
    # that can only run after a claimed one, PENDING -> ASSIGNED with ``chained_after``
    # naming the step before; it is held for the claimer until that one completes.
    _t(_STEP, "chain", (S.PENDING,), S.ASSIGNED, "STEP_CHAINED"),
    # A held chained step whose chain broke (the step before failed, was cancelled or
    # skipped, or lost its lease; or a coordinator changed the step itself) returns to
    # PENDING, where it was; its dependencies then make it READY as for any step.
    _t(_STEP, "chain_release", (S.ASSIGNED,), S.PENDING, "STEP_CHAIN_RELEASED"),
    _t(_STEP, "start", (S.ASSIGNED,), S.EXECUTING, "STEP_STARTED"),
    _t(_STEP, "complete", _LEASED, S.COMPLETED, "STEP_COMPLETED"),
    _t(_STEP, "fail", _LEASED, S.FAILED, "STEP_FAILED"),
    _t(_STEP, "retry_later", _LEASED, S.READY, "STEP_RETRY_SCHEDULED"),
    _t(_STEP, "lease_expired", _LEASED, S.READY, "STEP_LEASE_EXPIRED"),
    # The claimer gives its lease back (an agent that will not do the work, an MCP
    # session that ends): READY again at once, no lease loss counted.
    _t(_STEP, "release", _LEASED, S.READY, "STEP_RELEASED"),
    _t(_STEP, "wait", _LEASED, S.WAITING, "STEP_WAITING"),
    _t(_STEP, "open_gate", (S.READY,), S.WAITING, "STEP_WAITING"),
    _t(_STEP, "children_completed", (S.WAITING,), S.COMPLETED, "STEP_COMPLETED"),
    _t(_STEP, "children_failed", (S.WAITING,), S.FAILED, "STEP_FAILED"),
    _t(_STEP, "cancel", _LIVE, S.CANCELLED, "STEP_CANCELLED"),
    _t(_STEP, "skip", _LIVE, S.SKIPPED, "STEP_SKIPPED"),
    # A step of a new plan version (replan) that repeats a COMPLETED step of the old one
    # is created COMPLETED with its outcome.
    _t(_STEP, "carry_over", (None,), S.COMPLETED, "STEP_CARRIED_OVER"),
    # A step that has not started leaves its plan (REMOVE_STEP): it will never run.
    _t(_STEP, "remove", _UNSTARTED, S.CANCELLED, "STEP_REMOVED"),
    _t(_STEP, "retry", (S.FAILED,), S.PENDING, "STEP_RETRIED"),
    # Steps downstream of a retried one, with reset_downstream: run again.
    _t(_STEP, "rearm", _STEP_TERMINAL, S.PENDING, "STEP_RETRIED"),
    # Plans.
    _t(_PLAN, "create", (None,), P.DRAFT, "PLAN_CREATED"),
    _t(_PLAN, "approve", (P.DRAFT,), P.APPROVED, "PLAN_APPROVE"),
    _t(_PLAN, "start", (P.DRAFT, P.APPROVED), P.EXECUTING, "PLAN_START"),
    _t(_PLAN, "pause", (P.EXECUTING,), P.PAUSED, "PLAN_PAUSE"),
    _t(_PLAN, "resume", (P.PAUSED,), P.EXECUTING, "PLAN_RESUME"),
    # A paused plan whose last running steps end completes or fails too.
    _t(_PLAN, "complete", (P.EXECUTING, P.PAUSED), P.COMPLETED, "PLAN_COMPLETED"),
    _t(_PLAN, "fail", (P.EXECUTING, P.PAUSED), P.FAILED, "PLAN_FAILED"),
    _t(_PLAN, "cancel", _PLAN_LIVE, P.CANCELLED, "PLAN_CANCEL"),
    _t(_PLAN, "reopen", (P.FAILED,), P.EXECUTING, "PLAN_REOPEN"),
    _t(_PLAN, "supersede", _PLAN_LIVE, P.SUPERSEDED, "PLAN_SUPERSEDED"),
    # Decisions.
    _t(_DECISION, "request_approval", (None,), "PENDING", "APPROVAL_REQUESTED"),
    _t(_DECISION, "record", (None,), "PENDING", "DECISION_RECORDED"),
    _t(_DECISION, "record_approved", (None,), "APPROVED", "DECISION_RECORDED"),
    _t(_DECISION, "approve", ("PENDING",), "APPROVED", "DECISION_APPROVED"),
    _t(_DECISION, "reject", ("PENDING",), "REJECTED", "DECISION_REJECTED"),
    _t(_DECISION, "execute", ("APPROVED",), "EXECUTED", "DECISION_EXECUTED"),
    # Plan modifications: recorded APPLIED when made (one event each, no status change
    # of its own: the steps' events say what changed).
    *(
        _t(Subject.MODIFICATION, f"apply_{kind.lower()}", (None,), None, f"PLAN_MODIFIED_{kind}")
        for kind in MODIFICATION_TYPES
        if kind != "ADD_STEP"
    ),
    _t(Subject.MODIFICATION, "request", (None,), "REQUESTED", "MODIFICATION_REQUESTED"),
    _t(Subject.MODIFICATION, "approve", ("REQUESTED",), "APPROVED", "MODIFICATION_APPROVED"),
    _t(Subject.MODIFICATION, "reject", ("REQUESTED",), "REJECTED", "MODIFICATION_REJECTED"),
    _t(Subject.MODIFICATION, "apply", ("APPROVED",), "APPLIED", "MODIFICATION_APPLIED"),
    # Communications between agents only move forward.
    _t(Subject.COMMUNICATION, "send", (None,), "SENT", "COMMUNICATION_SENT"),
    _t(Subject.COMMUNICATION, "receive", ("SENT",), "RECEIVED", "COMMUNICATION_RECEIVED"),
    _t(
        Subject.COMMUNICATION,
        "acknowledge",
        ("SENT", "RECEIVED"),
        "ACKNOWLEDGED",
        "COMMUNICATION_ACKNOWLEDGED",
    ),
    _t(
        Subject.COMMUNICATION,
        "respond",
        ("SENT", "RECEIVED", "ACKNOWLEDGED"),
        "RESPONDED",
        "COMMUNICATION_RESPONDED",
    ),
)

_BY_NAME = {(t.subject, t.name): t for t in TRANSITIONS}


def _named(subject: Subject) -> dict[str, tuple[tuple[str, ...], str]]:
    """``subject``'s transitions of existing subjects by name: (from-statuses, to-status)."""
    return {
        t.name: (tuple(sorted(s for s in t.from_statuses if s is not None)), t.to_status)
        for t in TRANSITIONS
        if t.subject == subject and None not in t.from_statuses and t.to_status is not None
    }


# The transitions of existing steps and plans by name: (allowed from-statuses, to-status).
STEP_TRANSITIONS: dict[str, tuple[tuple[StepStatus, ...], StepStatus]] = {
    name: (tuple(map(StepStatus, froms)), StepStatus(to))
    for name, (froms, to) in _named(Subject.STEP).items()
}
PLAN_TRANSITIONS: dict[str, tuple[tuple[PlanStatus, ...], PlanStatus]] = {
    name: (tuple(map(PlanStatus, froms)), PlanStatus(to))
    for name, (froms, to) in _named(Subject.PLAN).items()
}


def transition(subject: Subject, name: str) -> Transition:
    """The transition ``name`` of ``subject``; ``KeyError`` if there is none."""
    return _BY_NAME[(subject, name)]


def allowed_from(subject: Subject, name: str) -> list[str]:
    """The from-statuses of a transition, sorted, as a query parameter
    (``WHERE s.status IN $allowed_from``)."""
    return sorted(s for s in transition(subject, name).from_statuses if s is not None)


def find_transition(
    event_type: str, from_status: str | None, to_status: str | None
) -> Transition | None:
    """The transition an event records (its type, from- and to-status), or None: an
    event that is no transition of the table is a bug."""
    for t in TRANSITIONS:
        if t.event_type == event_type and t.to_status == to_status and t.allows(from_status):
            return t
    return None


def _status_group(statuses: frozenset[StepStatus] | frozenset[PlanStatus]) -> list[str]:
    return sorted(str(s) for s in statuses)


def query_parameters() -> dict[str, str | list[str]]:
    """Every status the service's queries name, as query parameters (issue 19): each
    written status comes from a transition and each read one from a status or group.

    - ``<subject>_<transition>_to`` and ``<subject>_<transition>_from``: a transition's
      to-status and its from-statuses (a sorted list), e.g. ``$step_claim_to`` is
      ASSIGNED and ``$plan_cancel_from`` the live plan statuses;
    - ``<subject>_<status>``: one status, e.g. ``$step_ready``, ``$agent_active``;
    - groups: ``$step_terminal``, ``$step_unstarted``, ``$step_leased``,
      ``$step_runnable``, ``$step_satisfied``, ``$plan_terminal``, ``$plan_live``,
      ``$plan_running``.
    Subjects are step, plan, decision, modification, communication, agent and analysis.
    """
    params: dict[str, str | list[str]] = {}
    statuses: dict[str, tuple[str, ...]] = {
        "step": tuple(StepStatus),
        "plan": tuple(PlanStatus),
        "decision": DECISION_STATUSES,
        "modification": MODIFICATION_STATUSES,
        "communication": COMMUNICATION_STATUSES,
        "agent": tuple(AgentStatus),
        "analysis": tuple(AnalysisStatus),
    }
    for subject, names in statuses.items():
        for status in names:
            params[f"{subject}_{status.lower()}"] = str(status)
    for t in TRANSITIONS:
        if t.to_status is not None:
            params[f"{t.subject}_{t.name}_to"] = str(t.to_status)
        froms = sorted(str(s) for s in t.from_statuses if s is not None)
        if froms:
            params[f"{t.subject}_{t.name}_from"] = froms
    params.update(
        step_terminal=_status_group(STEP_TERMINAL),
        step_unstarted=_status_group(STEP_UNSTARTED),
        step_leased=_status_group(STEP_LEASED),
        step_runnable=_status_group(STEP_RUNNABLE),
        step_satisfied=_status_group(SATISFIED_DEPENDENCY),
        plan_terminal=_status_group(PLAN_TERMINAL),
        plan_live=sorted(str(s) for s in _PLAN_LIVE),
        plan_running=_status_group(PLAN_RUNNING),
    )
    return params
