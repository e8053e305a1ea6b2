"""The engine: orchestration. Each command is one write transaction built from store
calls (``graphsvc.store``) and the domain's rules (``graphsvc.domain``):

- ``work``: claims, start, heartbeats, completions, failures, the sweep of leases;
- ``progress``: what follows a step's end (dependents READY, human gates, FAIL_FAST,
  the plan's end) and ``record_events``;
- ``family``, ``children``: child plans, their scheduling and their spawner's end;
- ``gates``, ``decisions``: human gates, approvals, input, decisions;
- ``plans``, ``lifecycle``: creating a plan; start, pause, resume, cancel, approve;
- ``changes``: the living plan (add steps, dependencies, cancel, skip, retry, ...);
- ``reconcile``: readiness checked again at start-up; ``sweeper``: the background loop.
"""

from graphsvc.engine.sweeper import Sweeper

__all__ = ["Sweeper"]
