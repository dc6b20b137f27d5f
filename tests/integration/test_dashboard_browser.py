"""The dashboard in a real browser (the slow tier): Debian's headless Chromium, driven by selenium, on the page
of a `streamlab dashboard` process while behavior-stats runs live on both engines at once.

The page must update by itself: each job's numbers change between two reads, and an alert appears, forced by a
dead-letter share threshold below the demos' 2% of malformed records. The screenshot it takes, both engines
side by side on one time axis, is docs/dashboard.png. Without Chromium the test fails with the command that
installs it: it is part of the tier, not optional.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streamlab.paths import REPO_ROOT
from streamlab.processes import StreamlabProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"
# without these, Chromium on a machine with no network waits on connections it tries by itself
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")  # fmt: skip
SCREENSHOT = REPO_ROOT / "docs" / "dashboard.png"
WORKLOAD = "behavior-stats"
JOBS = [f"{engine}/{WORKLOAD}/stats" for engine in ("flink", "spark")]
# long enough to outlast the test; the demos are stopped as Ctrl-C stops them once it has what it needs
DEMO_INPUT = ("--count", "6000", "--rate", "25")
STOP_WAIT_S = 60


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(f"Chromium is not installed: {INSTALL}", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # given paths: Selenium Manager has nothing to download
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def stop(process: StreamlabProcess, signal_number: int) -> int | None:
    """Stops it as a user would (Ctrl-C, or `cluster down`'s SIGTERM); its exit code, None if it had to be killed."""
    if process.process.poll() is None:
        os.kill(process.pid, signal_number)
    try:
        return process.process.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill_tree()
        return None


def wait_for(what: str, condition: Callable[[], object], timeout_s: float, *watched: StreamlabProcess) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := condition():
            return found
        for process in watched:
            process.alive()  # one that ended by itself fails the test with its output
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout_s:.0f} s")


def test_the_page_follows_both_engines_live_and_shows_an_alert(
    kafka_bootstrap: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser  # type: ignore[assignment]
    # a dead-letter share of 1% alerts as soon as 100 records are in: the demos make every 50th one malformed.
    # The share is judged over --alert-after s (30 by default): a short window flaps under load, when it holds
    # no Spark batch and so no new dead letters
    forced = ["--dead-letter-share", "0.01"]
    dashboard = StreamlabProcess(
        ["dashboard", "--port", "0", "--bootstrap-servers", kafka_bootstrap, *forced], tmp_path / "dashboard.log"
    )
    demos: list[StreamlabProcess] = []
    try:
        url = wait_for("the dashboard printed its URL", lambda: re.search(r"dashboard: (http://\S+)", dashboard.output),
                       60, dashboard)[1]  # type: ignore[index]  # fmt: skip
        suffix = uuid.uuid4().hex[:6]
        for engine in ("flink", "spark"):  # the same workload on both engines, on topics of each run's own
            topics = ["--topic-prefix", f"dash{engine}_{suffix}_", "--bootstrap-servers", kafka_bootstrap]
            demos.append(StreamlabProcess(["demo", engine, WORKLOAD, *DEMO_INPUT, *topics], tmp_path / f"{engine}.log"))
        driver.get(url)

        def card(job: str) -> object:
            return driver.find_element(By.CSS_SELECTOR, f'article.job[data-job="{job}"]')

        def numbers() -> list[str]:
            return [card(job).find_element(By.CSS_SELECTOR, ".numbers").text for job in JOBS]

        def both_running() -> bool:
            states = driver.find_elements(By.CSS_SELECTOR, "article.job .state[data-state='RUNNING']")
            running = {state.find_element(By.XPATH, "./ancestor::article").get_attribute("data-job")
                       for state in states}  # fmt: skip
            return set(JOBS) <= running

        wait_for("both jobs RUNNING on the page", both_running, 150, dashboard, *demos)
        first = numbers()
        time.sleep(4)
        second = numbers()
        assert all(a != b for a, b in zip(first, second, strict=True)), f"unchanged:\n{first}\n{second}"

        alerted: set[str] = set()  # jobs seen with a firing dead-letters alert, listed and on their card

        def both_alerted() -> bool:
            firing = driver.find_element(By.ID, "firing").text
            cards = {card.get_attribute("data-job") for card in driver.find_elements(By.CSS_SELECTOR, ".job.alerting")}
            alerted.update(job for job in JOBS if f"dead-letters {job}" in firing and job in cards)
            return set(JOBS) <= alerted

        wait_for("a dead-letters alert on both jobs", both_alerted, 90, dashboard, *demos)
        wait_for("a result table for both jobs", lambda: all(
            card(job).find_elements(By.CSS_SELECTOR, ".result-box table tbody tr") for job in JOBS), 60)  # fmt: skip
        time.sleep(3)  # a few more points on the plots
        driver.set_window_size(1400, 1000)
        assert driver.save_screenshot(str(SCREENSHOT)), SCREENSHOT
    finally:
        for demo in demos:
            stop(demo, signal.SIGINT)
        exit_code = stop(dashboard, signal.SIGTERM)
    assert exit_code == 0, f"the dashboard did not end cleanly on SIGTERM: {dashboard.output[-2000:]}"
