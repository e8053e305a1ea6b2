"""The live picture of a plan (issue 23), in a real headless Chromium (Debian's chromium
and chromium-driver, installed by .ci/run) with every host but this machine unreachable:
one element per step with the right data-status, a change seen within 2 s, a child plan
expanded, a screenshot; and /docs rendered with no network beyond this machine."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from graphsvc.domain import parse_spec
from graphsvc.engine import children, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import KEYS

pytestmark = pytest.mark.skipif(
    shutil.which("chromedriver") is None, reason="chromium-driver is not installed (.ci/run does)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        # The network cut off: every name but this machine's resolves to nothing.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _until(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Wait until ``check()`` holds; how long it took. ``AssertionError`` after ``seconds``."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, f"not within {seconds} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - began


def _statuses(browser: webdriver.Chrome) -> dict[str, str]:
    """Each drawn step's key and data-status, read in one go (the page redraws on events)."""
    pairs = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.step[data-step-id]'))"
        ".map(e => [e.dataset.key, e.dataset.status])"
    )
    return {key: status for key, status in pairs}


def _click(browser: webdriver.Chrome, selector: str) -> None:
    """Click the element ``selector`` names, again if a redraw replaced it meanwhile."""
    for _ in range(20):
        try:
            browser.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"{selector} kept being redrawn")


def test_the_page_draws_the_plan_and_follows_it_live(
    browser: webdriver.Chrome, live_api: str, db: Database, tmp_path: Path
) -> None:
    kind = f"drawn-{new_id()[-8:]}"
    spec = {
        "name": "drawn",
        "steps": [
            {"key": "A", "kind": kind},
            {"key": "B", "kind": kind, "depends_on": ["A"]},
            {"key": "S", "kind": "subplan"},
        ],
    }
    created = create_plan(db, parse_spec(spec))
    plan_id, ids = created.id, created.step_ids
    lifecycle.transition_plan(db, plan_id, "start")
    [spawner] = work.claim(db, "drawer", ["subplan"], [], plan_ids=[plan_id])
    # Of another kind than A: a claim of A's kind takes A, not one of the family's others.
    child_spec = parse_spec({"name": "child", "steps": [{"key": "K", "kind": f"{kind}-child"}]})
    children.spawn(db, spawner["id"], spawner["lease_token"], [child_spec])

    browser.get(f"{live_api}/ui/plans/{plan_id}#key={KEYS['viewer']}")
    _until(
        lambda: _statuses(browser) == {"A": "READY", "B": "PENDING", "S": "WAITING"},
        10,
        "the plan drawn",
    )
    assert "#key" not in browser.current_url  # the key left the address bar
    [a] = work.claim(db, "drawer", [kind], [], plan_ids=[plan_id])
    assert a["key"] == "A"
    work.complete(db, a["id"], a["lease_token"], {}, {})
    took = _until(lambda: _statuses(browser).get("A") == "COMPLETED", 2.0, "A COMPLETED drawn")
    assert took < 2.0
    _until(lambda: _statuses(browser).get("B") == "READY", 2.0, "B READY drawn")
    _click(browser, f'text[data-expand="{ids["S"]}"]')
    _until(lambda: _statuses(browser).get("K") == "READY", 5, "the child plan expanded")
    _click(browser, f'g.step[data-step-id="{ids["B"]}"] rect')
    _until(lambda: ids["B"] in browser.find_element(By.ID, "details").text, 5, "B's details")
    shot = tmp_path / "plan.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_the_api_docs_render_without_the_network(browser: webdriver.Chrome, live_api: str) -> None:
    browser.get(f"{live_api}/docs")
    _until(
        lambda: bool(browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")),
        15,
        "Swagger UI's operations",
    )
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/v1/plans" in {p.replace("\u200b", "") for p in paths}
