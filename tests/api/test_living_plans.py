"""Living plans: changes to plans that are running under a live built-in worker, over the
REST API against a real Neo4j, each recorded as a PlanModification; and changes racing
claims and completions."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphsvc import ConflictError, ValidationFailed
from graphsvc.domain import parse_spec
from graphsvc.engine import changes as modify
from graphsvc.engine import lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, plans
from graphsvc.worker import ApiClient, ExecutorConfig, Worker
from tests.helpers import KEYS, auth

COORD = auth("coordinator")
GATE = "while [ ! -e gate-{key} ]; do sleep 0.05; done; echo {key}"


@pytest.fixture
def workdir(tmp_path: Path, live_api: str) -> Iterator[Path]:
    """A running built-in worker whose command steps run in ``workdir``."""
    worker = Worker(
        ApiClient(live_api, KEYS["worker"]),
        ExecutorConfig(allow_commands=True, workdir=tmp_path),
        slots=4,
        wait_seconds=0.2,
        lease_seconds=10,
    )
    worker.start()
    yield tmp_path
    worker.stop()


def gated(key: str, **extra: Any) -> dict[str, Any]:
    """A command step that runs until the test opens its gate (``open_gate``)."""
    return {"key": key, "kind": "command", "description": GATE.format(key=key), **extra}


def human(key: str, **extra: Any) -> dict[str, Any]:
    """A step no test worker can claim (it needs a capability none has)."""
    return {
        "key": key,
        "kind": "task",
        "description": "a person does this",
        "requires_capabilities": [f"human-{new_id()}"],
        **extra,
    }


def open_gate(workdir: Path, key: str) -> None:
    (workdir / f"gate-{key}").touch()


def submit(client: TestClient, steps: list[dict[str, Any]], **extra: Any) -> str:
    spec = {"name": f"living {new_id()}", "steps": steps, **extra}
    response = client.post("/v1/plans?start=true", json=spec, headers=COORD)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def plan_of(client: TestClient, plan_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/plans/{plan_id}", headers=COORD).json())


def steps_of(client: TestClient, plan_id: str) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in plan_of(client, plan_id)["steps"]}


def wait_until(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def status_is(client: TestClient, plan_id: str, key: str, *statuses: str) -> Callable[[], bool]:
    return lambda: steps_of(client, plan_id)[key]["status"] in statuses


def test_a_step_added_mid_run_is_counted_and_executed(client: TestClient, workdir: Path) -> None:
    plan_id = submit(client, [gated("A"), {"key": "B", "kind": "noop", "depends_on": ["A"]}])
    wait_until("A runs", status_is(client, plan_id, "A", "EXECUTING"))

    added = client.post(
        f"/v1/plans/{plan_id}/steps",
        json={
            "step": {"key": "C", "kind": "noop"},
            "reason": "one more check",
            "user_id": "ada",
            "user_name": "Ada",
        },
        headers=COORD,
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "READY"
    after_b = client.post(
        f"/v1/plans/{plan_id}/steps",
        json={"step": {"key": "D", "kind": "noop", "depends_on": ["B"]}, "reason": "then this"},
        headers=COORD,
    )
    assert after_b.json()["status"] == "PENDING"
    assert plan_of(client, plan_id)["progress"]["total"] == 4
    wait_until("C executed while A still runs", status_is(client, plan_id, "C", "COMPLETED"))
    assert steps_of(client, plan_id)["A"]["status"] == "EXECUTING"

    open_gate(workdir, "A")
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")
    assert plan_of(client, plan_id)["progress"]["terminal"] == 4

    mods = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert [(m["modification_type"], m["step_key"], m["reason"]) for m in mods] == [
        ("ADD_STEP", "D", "then this"),
        ("ADD_STEP", "C", "one more check"),
    ]
    assert mods[1]["requested_by"] == {"id": "ada", "name": "Ada", "kind": "User"}
    assert mods[0]["requested_by"]["id"] == "coordinator-user"  # the API key's principal
    assert mods[0]["new_value"]["depends_on"] == ["B"]


def test_dependencies_added_and_removed_while_the_plan_runs(
    client: TestClient, workdir: Path
) -> None:
    plan_id = submit(client, [{"key": "A", "kind": "noop"}, gated("G"), human("X")])
    wait_until(
        "A done, G running",
        lambda: (
            status_is(client, plan_id, "A", "COMPLETED")()
            and status_is(client, plan_id, "G", "EXECUTING")()
        ),
    )
    x = steps_of(client, plan_id)["X"]
    assert x["status"] == "READY"

    on_done = client.post(
        f"/v1/steps/{x['id']}/dependencies",
        json={"depends_on": "A", "reason": "needs A"},
        headers=COORD,
    )
    assert on_done.status_code == 200 and on_done.json()["status"] == "READY"
    on_running = client.post(
        f"/v1/steps/{x['id']}/dependencies",
        json={"depends_on": "G", "reason": "needs G"},
        headers=COORD,
    )
    assert on_running.json()["status"] == "PENDING"
    again = client.post(
        f"/v1/steps/{x['id']}/dependencies", json={"depends_on": "G"}, headers=COORD
    )
    assert again.status_code == 200 and again.json()["modification_id"] is None

    g_id = steps_of(client, plan_id)["G"]["id"]
    removed = client.delete(
        f"/v1/steps/{x['id']}/dependencies/{g_id}?reason=unblock", headers=COORD
    )
    assert removed.status_code == 200 and removed.json()["status"] == "READY"
    twice = client.delete(f"/v1/steps/{x['id']}/dependencies/{g_id}", headers=COORD)
    assert twice.status_code == 200 and twice.json()["modification_id"] is None

    types = [
        m["modification_type"]
        for m in client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    ]
    assert types == ["REMOVE_DEPENDENCY", "ADD_DEPENDENCY", "ADD_DEPENDENCY"]
    open_gate(workdir, "G")
    client.post(f"/v1/steps/{x['id']}/skip", json={"reason": "done by hand"}, headers=COORD)
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")


def test_a_cycle_or_a_cross_plan_dependency_is_refused_and_changes_nothing(
    client: TestClient, db: Database
) -> None:
    plan_id = submit(
        client, [human("A"), human("B", depends_on=["A"]), human("C", depends_on=["B"])]
    )
    other = submit(client, [human("Z")])
    a = steps_of(client, plan_id)["A"]
    before = plan_of(client, plan_id)

    def graph() -> Any:
        return db.read(
            lambda tx: tx.run(
                "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s)-[r:DEPENDS_ON]->(d) "
                "RETURN s.key + '->' + d.key AS edge ORDER BY edge",
                id=plan_id,
            ).value()
        )

    edges = graph()
    cycle = client.post(
        f"/v1/steps/{a['id']}/dependencies", json={"depends_on": "C"}, headers=COORD
    )
    assert cycle.status_code == 422
    assert "A -> C -> B -> A" in cycle.text
    z = steps_of(client, other)["Z"]
    cross = client.post(
        f"/v1/steps/{a['id']}/dependencies", json={"depends_on": z["id"]}, headers=COORD
    )
    assert cross.status_code == 422 and "another plan" in cross.text
    self_dep = client.post(
        f"/v1/steps/{a['id']}/dependencies", json={"depends_on": "A"}, headers=COORD
    )
    assert self_dep.status_code == 422
    assert graph() == edges
    after = plan_of(client, plan_id)
    assert after["version"] == before["version"] and after["steps"] == before["steps"]
    assert client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json() == []
    for p in (plan_id, other):
        client.post(f"/v1/plans/{p}/cancel", headers=COORD)


def test_a_cancelled_blocker_lets_its_dependents_run_and_its_worker_gets_409(
    client: TestClient, workdir: Path
) -> None:
    plan_id = submit(client, [gated("G"), {"key": "D", "kind": "noop", "depends_on": ["G"]}])
    wait_until("G runs", status_is(client, plan_id, "G", "EXECUTING"))
    g = steps_of(client, plan_id)["G"]
    cancelled = client.post(
        f"/v1/steps/{g['id']}/cancel",
        json={"reason": "not needed", "agent_id": "lead-agent"},
        headers=COORD,
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")
    assert steps_of(client, plan_id)["D"]["status"] == "COMPLETED"

    # The worker still runs G; when it reports, its revoked lease is refused (409).
    late = client.post(
        f"/v1/steps/{g['id']}/heartbeat", json={"lease_token": "any"}, headers=auth("worker")
    )
    assert late.status_code == 409
    open_gate(workdir, "G")
    time.sleep(1.0)  # the worker's command ends and its complete is refused
    events = client.get(f"/v1/plans/{plan_id}/events", headers=COORD).json()
    assert steps_of(client, plan_id)["G"]["status"] == "CANCELLED"
    assert not [e for e in events if e["step_id"] == g["id"] and e["type"] == "STEP_COMPLETED"]
    [mod] = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert mod["modification_type"] == "CANCEL_STEP"
    assert mod["requested_by"] == {"id": "lead-agent", "name": "lead-agent", "kind": "Agent"}
    assert mod["old_value"] == {"status": "EXECUTING"}


def test_editing_a_step_before_it_starts_and_not_after(client: TestClient, workdir: Path) -> None:
    plan_id = submit(client, [gated("G"), {"key": "LATER", "kind": "noop", "depends_on": ["G"]}])
    wait_until("G runs", status_is(client, plan_id, "G", "EXECUTING"))
    steps = steps_of(client, plan_id)
    started = client.patch(f"/v1/steps/{steps['G']['id']}", json={"name": "renamed"}, headers=COORD)
    assert started.status_code == 409
    bad = client.patch(f"/v1/steps/{steps['LATER']['id']}", json={"kind": "command"}, headers=COORD)
    assert bad.status_code == 422 and "description" in bad.text
    edited = client.patch(
        f"/v1/steps/{steps['LATER']['id']}",
        json={"name": "Later, renamed", "max_retries": 2, "reason": "clearer"},
        headers=COORD,
    )
    assert edited.status_code == 200, edited.text
    later = steps_of(client, plan_id)["LATER"]
    assert later["name"] == "Later, renamed" and later["max_retries"] == 2
    [mod] = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert mod["old_value"] == {"name": "LATER", "max_retries": 0}
    assert mod["new_value"] == {"name": "Later, renamed", "max_retries": 2}
    open_gate(workdir, "G")
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")


def test_retrying_a_failed_step_reopens_the_failed_plan(client: TestClient, workdir: Path) -> None:
    flaky = {"key": "F", "kind": "command", "description": "test -e fixed"}
    plan_id = submit(client, [flaky, {"key": "H", "kind": "noop", "depends_on": ["F"]}])
    wait_until("plan fails", lambda: plan_of(client, plan_id)["status"] == "FAILED")
    assert steps_of(client, plan_id)["H"]["status"] == "CANCELLED"
    (workdir / "fixed").touch()
    f = steps_of(client, plan_id)["F"]
    retried = client.post(f"/v1/steps/{f['id']}/retry", json={"reason": "fixed it"}, headers=COORD)
    assert retried.status_code == 200, retried.text
    assert sorted(retried.json()["reset"]) == ["F", "H"]
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")
    assert client.post(f"/v1/steps/{f['id']}/retry", headers=COORD).status_code == 409


def race(*fns: Callable[[], Any]) -> list[Any]:
    """Run ``fns`` at once (a barrier releases them together); each one's result, or
    the ``ConflictError`` or ``ValidationFailed`` it raised."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fns[i]()
        except (ConflictError, ValidationFailed) as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _started(db: Database, steps: list[dict[str, Any]]) -> str:
    plan_id = create_plan(db, parse_spec({"name": "race", "steps": steps})).id
    lifecycle.transition_plan(db, plan_id, "start")
    return plan_id


def test_a_change_racing_a_claim_either_applies_before_the_start_or_is_409(
    db: Database,
) -> None:
    cap = f"race-{new_id()}"
    x_spec = {"key": "X", "kind": "noop", "requires_capabilities": [cap]}
    y_spec = human("Y")
    for _ in range(15):
        plan_id = _started(db, [x_spec, y_spec])
        x_id = next(s.id for s in plans.get_plan(db, plan_id).steps if s.key == "X")
        claimed, changed = race(
            lambda: work.claim(db, f"agent-{cap}", ["noop"], [cap]),
            lambda x_id=x_id: modify.add_dependency(db, x_id, "Y", modify.Actor("racer")),
        )
        x = next(s for s in plans.get_plan(db, plan_id).steps if s.key == "X")
        if isinstance(changed, ConflictError):  # the claim won: the change was refused
            assert [s["id"] for s in claimed] == [x_id] and x.status.value == "ASSIGNED"
        else:  # the change won: X waits for Y and nobody holds it
            assert claimed == [] and x.status.value == "PENDING" and x.depends_on == ["Y"]
        lifecycle.transition_plan(db, plan_id, "cancel")


def test_a_cancel_racing_a_complete_lets_exactly_one_win(db: Database) -> None:
    cap = f"race-{new_id()}"
    for _ in range(15):
        plan_id = _started(db, [{"key": "X", "kind": "noop", "requires_capabilities": [cap]}])
        [x] = work.claim(db, f"agent-{cap}", ["noop"], [cap])
        completed, cancelled = race(
            lambda x=x: work.complete(db, x["id"], x["lease_token"], {}, {}),
            lambda x=x: modify.cancel_step(db, x["id"], modify.Actor("racer"), "race"),
        )
        lost = [isinstance(r, ConflictError) for r in (completed, cancelled)]
        assert sorted(lost) == [False, True]
        status = plans.get_plan(db, plan_id).steps[0].status.value
        assert status == ("CANCELLED" if lost[0] else "COMPLETED")
        assert plans.get_plan(db, plan_id).status.value == "COMPLETED"


def test_an_assignee_reserves_a_step_for_one_agent(client: TestClient, db: Database) -> None:
    cap = f"cap-{new_id()}"
    plan_id = submit(client, [{"key": "X", "kind": "noop", "requires_capabilities": [cap]}])
    x = steps_of(client, plan_id)["X"]
    patched = client.patch(f"/v1/steps/{x['id']}", json={"assignee": "agent-z"}, headers=COORD)
    assert patched.status_code == 200, patched.text
    assert steps_of(client, plan_id)["X"]["assignee"] == "agent-z"
    assert work.claim(db, "agent-y", ["noop"], [cap]) == []
    [claimed] = work.claim(db, "agent-z", ["noop"], [cap])
    assert claimed["id"] == x["id"]
    [mod] = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert mod["modification_type"] == "REASSIGN_AGENT"
    assert mod["new_value"] == {"assignee": "agent-z"}
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


def test_an_edit_of_the_capabilities_routes_the_step_to_the_agents_that_have_them(
    client: TestClient, db: Database
) -> None:
    old, new = f"old-{new_id()}", f"new-{new_id()}"
    plan_id = submit(client, [{"key": "X", "kind": "noop", "requires_capabilities": [old]}])
    x = steps_of(client, plan_id)["X"]
    patch = {"requires_capabilities": [new]}
    patched = client.patch(f"/v1/steps/{x['id']}", json=patch, headers=COORD)
    assert patched.status_code == 200, patched.text
    assert work.claim(db, f"agent-{old}", ["noop"], [old]) == []
    [claimed] = work.claim(db, f"agent-{new}", ["noop"], [new])
    assert claimed["id"] == x["id"]
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


def test_steps_added_in_one_batch_may_depend_on_each_other_and_run(
    client: TestClient, workdir: Path
) -> None:
    plan_id = submit(client, [gated("A")])
    wait_until("A runs", status_is(client, plan_id, "A", "EXECUTING"))
    batch = [
        {"key": "X", "kind": "noop"},
        {"key": "Y", "kind": "noop", "depends_on": ["X", "A"]},
        {"key": "Z", "kind": "noop", "depends_on": ["Y"]},
    ]
    added = client.post(
        f"/v1/plans/{plan_id}/steps/batch",
        json={"steps": batch, "reason": "three more", "user_id": "ada"},
        headers=COORD,
    )
    assert added.status_code == 201, added.text
    assert [(s["key"], s["status"]) for s in added.json()["steps"]] == [
        ("X", "READY"),
        ("Y", "PENDING"),
        ("Z", "PENDING"),
    ]
    assert plan_of(client, plan_id)["progress"]["total"] == 4
    wait_until("X executed while A still runs", status_is(client, plan_id, "X", "COMPLETED"))
    assert steps_of(client, plan_id)["Y"]["status"] == "PENDING"  # it also waits for A
    open_gate(workdir, "A")
    wait_until("plan completes", lambda: plan_of(client, plan_id)["status"] == "COMPLETED")
    steps = steps_of(client, plan_id)
    assert [steps[k]["step_number"] for k in "AXYZ"] == [1, 2, 3, 4]
    mods = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert sorted((m["step_key"], m["reason"]) for m in mods) == [
        ("X", "three more"),
        ("Y", "three more"),
        ("Z", "three more"),
    ]
    assert {m["requested_by"]["id"] for m in mods} == {"ada"}
    y = next(m for m in mods if m["step_key"] == "Y")
    assert y["new_value"]["depends_on"] == ["X", "A"]
    assert sorted(m["id"] for m in mods) == sorted(
        s["modification_id"] for s in added.json()["steps"]
    )
    assert sorted(m["plan_version"] for m in mods) == [2, 3, 4]  # one version per change


def test_a_bad_batch_of_steps_names_every_problem_and_adds_nothing(
    client: TestClient,
) -> None:
    plan_id = submit(client, [human("A")])
    before = plan_of(client, plan_id)
    bad = [
        {"key": "A", "kind": "noop"},  # the plan has an A
        {"key": "P", "kind": "noop", "depends_on": ["Q"]},
        {"key": "Q", "kind": "noop", "depends_on": ["P"]},  # a cycle in the batch
    ]
    answer = client.post(f"/v1/plans/{plan_id}/steps/batch", json={"steps": bad}, headers=COORD)
    assert answer.status_code == 422
    assert "P -> Q -> P" in answer.text
    fields = client.post(
        f"/v1/plans/{plan_id}/steps/batch",
        json={"steps": [{"key": "R", "kind": "No Pe"}, {"kind": "noop"}, {"key": "R"}]},
        headers=COORD,
    )
    assert fields.status_code == 422
    where = {p["location"] for p in fields.json()["error"]["details"]["problems"]}
    assert {"steps[0].kind", "steps[1].key"} <= where
    taken = client.post(
        f"/v1/plans/{plan_id}/steps/batch",
        json={
            "steps": [
                {"key": "A", "kind": "noop"},
                {"key": "B", "kind": "noop", "depends_on": ["nowhere"]},
            ]
        },
        headers=COORD,
    )
    assert taken.status_code == 422
    assert "steps[0].key" in taken.text and "no step 'nowhere' in this plan" in taken.text
    empty = client.post(f"/v1/plans/{plan_id}/steps/batch", json={"steps": []}, headers=COORD)
    assert empty.status_code == 422
    after = plan_of(client, plan_id)
    assert after["steps"] == before["steps"] and after["version"] == before["version"]
    assert client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json() == []
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


def test_batches_added_at_once_get_distinct_step_numbers_after_the_plans_own(
    db: Database,
) -> None:
    plan_id = _started(db, [human("A"), human("B")])
    batches = [[human(f"{b}{i}") for i in range(20)] for b in "XYZ"]
    results = race(
        *(
            lambda batch=batch: modify.add_steps(db, plan_id, batch, modify.Actor("ada"))
            for batch in batches
        )
    )
    assert all(isinstance(r, list) and len(r) == 20 for r in results)
    numbers = {s.key: s.step_number for s in plans.get_plan(db, plan_id).steps}
    assert sorted(numbers.values()) == list(range(1, 63))
    assert (numbers["A"], numbers["B"]) == (1, 2)
    for batch in batches:  # each batch numbered in its own order, in one run
        run = [numbers[s["key"]] for s in batch]
        assert run == list(range(run[0], run[0] + 20))
    lifecycle.transition_plan(db, plan_id, "cancel")


def test_two_batches_adding_the_same_key_at_once_add_it_once(db: Database) -> None:
    for _ in range(10):
        plan_id = _started(db, [human("A")])
        add_x = functools.partial(modify.add_steps, db, plan_id, [human("X")], modify.Actor("ada"))
        results = race(add_x, add_x)
        outcomes = ["refused" if isinstance(r, ValidationFailed) else "added" for r in results]
        for refused in (r for r in results if isinstance(r, ValidationFailed)):
            assert "the plan already has a step 'X'" in [p.message for p in refused.problems]
        assert sorted(outcomes) == ["added", "refused"]
        assert [s.key for s in plans.get_plan(db, plan_id).steps].count("X") == 1
        lifecycle.transition_plan(db, plan_id, "cancel")


def test_added_steps_are_created_ready_waiting_or_pending_as_they_may_run(db: Database) -> None:
    plan_id = _started(db, [human("A")])
    added = modify.add_steps(
        db,
        plan_id,
        [
            human("FREE"),
            {"key": "GATE", "kind": "approval", "description": "ok?"},
            human("AFTER", depends_on=["A"]),
        ],
        modify.Actor("ada"),
    )
    assert {a["key"]: a["status"] for a in added} == {
        "FREE": "READY",
        "GATE": "WAITING",
        "AFTER": "PENDING",
    }
    stored = {s.key: s for s in plans.get_plan(db, plan_id).steps}
    assert {k: stored[k].status.value for k in ("FREE", "GATE", "AFTER")} == {
        "FREE": "READY",
        "GATE": "WAITING",
        "AFTER": "PENDING",
    }
    ids = {a["step_id"]: a["key"] for a in added}
    trail = [
        (ids[e.step_id], e.type, e.to_status)
        for e in lifecycle.list_events(db, plan_id)
        if e.step_id in ids
    ]
    assert trail == [
        ("FREE", "PLAN_MODIFIED_ADD_STEP", "READY"),
        ("GATE", "PLAN_MODIFIED_ADD_STEP", "READY"),
        ("AFTER", "PLAN_MODIFIED_ADD_STEP", "PENDING"),
        ("GATE", "STEP_WAITING", "WAITING"),
    ]
    draft = create_plan(db, parse_spec({"name": "draft", "steps": [human("A")]})).id
    [later] = modify.add_steps(db, draft, [human("B")], modify.Actor("ada"))
    assert later["status"] == "PENDING"
    lifecycle.transition_plan(db, plan_id, "cancel")


def test_removing_a_step_that_has_not_started(client: TestClient, db: Database) -> None:
    """REMOVE_STEP (issue 21): the step stops counting and stops gating its dependents;
    the node stays, linked from its modification; a started step, a worker key or a
    removed step's id change nothing."""
    spec = {
        "name": "remove",
        "steps": [
            human("A"),
            human("R", depends_on=["A"]),
            human("C", depends_on=["R"]),
            human("D"),
        ],
    }
    created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    plan_id, ids = created["id"], created["step_ids"]
    version = plans.get_plan(db, plan_id).version
    denied = client.delete(f"/v1/steps/{ids['R']}", headers=auth("worker"))
    assert denied.status_code == 403
    removed = client.delete(f"/v1/steps/{ids['R']}", params={"reason": "not needed"}, headers=COORD)
    assert removed.status_code == 200, removed.text
    assert removed.json()["status"] == "CANCELLED"
    plan = plans.get_plan(db, plan_id)
    steps = {s.key: s for s in plan.steps}
    assert set(steps) == {"A", "C", "D"} and plan.progress.total == 3
    assert steps["C"].status.value == "READY" and steps["C"].depends_on == []
    assert plan.version == version + 1
    links = db.read(
        lambda tx: tx.run(
            "MATCH (m:PlanModification {id: $id})-[:REMOVES_STEP]->(s:ExecutionStep) "
            "MATCH (m)-[:MODIFIES_PLAN]->(p:ExecutionPlan) "
            "RETURN m.modification_type AS type, m.reason AS reason, s.key AS key, "
            "s.status AS status, p.id AS plan_id",
            id=removed.json()["modification_id"],
        ).data()
    )
    assert links == [
        {
            "type": "REMOVE_STEP",
            "reason": "not needed",
            "key": "R",
            "status": "CANCELLED",
            "plan_id": plan_id,
        }
    ]
    assert client.delete(f"/v1/steps/{ids['R']}", headers=COORD).status_code == 404
    d_needs = next(s.requires_capabilities for s in plan.steps if s.key == "D")
    [d] = work.claim(db, "remover", kinds=["task"], capabilities=d_needs, plan_ids=[plan_id])
    assert d["key"] == "D"
    started = client.delete(f"/v1/steps/{ids['D']}", headers=COORD)
    assert started.status_code == 409
    assert plans.get_plan(db, plan_id).version == version + 1
    # Its key is free again, and its edges are gone both ways.
    again = client.post(
        f"/v1/plans/{plan_id}/steps", json={"step": human("R2", depends_on=["C"])}, headers=COORD
    )
    assert again.status_code == 201, again.text
    assert client.delete(f"/v1/steps/{again.json()['step_id']}", headers=COORD).status_code == 200
    reused = client.post(f"/v1/plans/{plan_id}/steps", json={"step": human("R")}, headers=COORD)
    assert reused.status_code == 201, reused.text
    assert client.delete(f"/v1/steps/{reused.json()['step_id']}", headers=COORD).status_code == 200
    edges = db.read(
        lambda tx: tx.run(
            "MATCH (s:ExecutionStep {id: $id})-[e:DEPENDS_ON]-() RETURN count(e) AS n", id=ids["R"]
        ).single(strict=True)["n"]
    )
    assert edges == 0
    # Removing the last unfinished steps ends the plan.
    work.complete(db, d["id"], d["lease_token"], {}, {})
    for key in ("A", "C"):
        assert client.delete(f"/v1/steps/{ids[key]}", headers=COORD).status_code == 200
    assert plans.get_plan(db, plan_id).status.value == "COMPLETED"


def test_a_plans_manager_agent_is_managed_by_and_its_changes_are_its_own(
    client: TestClient, db: Database
) -> None:
    """MANAGED_BY (issue 21): a spec's ``manager_agent_id`` links the plan to that agent,
    and changes that agent requests (here: the coordinator key whose principal it is)
    are attributed to the Agent, not to a User of the same name."""
    spec = {"name": "managed", "manager_agent_id": "coordinator-user", "steps": [human("A")]}
    created = client.post("/v1/plans", json=spec, headers=COORD).json()
    plan = client.get(f"/v1/plans/{created['id']}", headers=COORD).json()
    assert plan["manager_agent_id"] == "coordinator-user"
    changed = client.post(
        f"/v1/plans/{created['id']}/steps",
        json={"step": human("B"), "reason": "more"},
        headers=COORD,
    )
    assert changed.status_code == 201, changed.text
    who = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id})-[:MANAGED_BY]->(manager:Agent) "
            "MATCH (m:PlanModification)-[:MODIFIES_PLAN]->(p) "
            "MATCH (requester)-[:REQUESTS_MODIFICATION]->(m) "
            "RETURN manager.id AS manager, labels(requester) AS labels, requester.id AS id",
            id=created["id"],
        ).data()
    )
    assert who == [{"manager": "coordinator-user", "labels": ["Agent"], "id": "coordinator-user"}]
