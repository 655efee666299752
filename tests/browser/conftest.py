"""
Browser tests: Playwright driving Debian's chromium against live_server.

Set SCREENSHOTS=1 to save a full-page PNG at each screenshot() call in
test-artifacts/ (to look at the pages); the tests never download a browser.
axe(page) checks the page with axe-core from node_modules/ (`npm ci`).
"""

import contextlib
import functools
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop; Django must allow ORM calls
    # from the test thread while it does.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API switches the context Django's per-thread
    # connections live in: later tests get new connection objects, without
    # the migrated data that serialized_rollback restores after a flush.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
            ],
        )
        yield browser
        browser.close()


class RequestsInFlight:
    """
    The live server's application, counting the requests it is answering:
    one is done when the server closes its response (Django's
    request_finished), whether it was sent whole or the browser went away.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.count = 0
        self.last_start = 0.0

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
            self.last_start = time.monotonic()
        try:
            response = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return _Counted(response, self._done)

    def _done(self):
        with self.lock:
            self.count -= 1

    def wait_until_idle(self, *, quiet=0.3, timeout=10.0):
        """
        Until no request is running and none started for `quiet` seconds:
        a page's last word (a beacon sent as it is left) may reach the
        server just after the browser has moved on. On a loaded machine
        (the whole suite on two cores) one came later than 0.1 s, during
        the flush, which it deadlocked.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                idle = self.count == 0 and time.monotonic() - self.last_start >= quiet
                count = self.count
            if idle:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{count} request(s) still running after {timeout} s")
            time.sleep(0.01)


class _Counted:
    def __init__(self, response, done):
        self.response = response
        self.done = done

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.done()


@pytest.fixture(scope="session")
def requests_in_flight(live_server):
    server = live_server.thread.httpd
    counter = RequestsInFlight(server.get_app())
    server.set_app(counter)
    return counter


@pytest.fixture
def page(browser, requests_in_flight):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    leave_open_pages(browser, requests_in_flight)
    context.close()


def leave_open_pages(browser, requests_in_flight):
    """
    Leave every page still open, and wait for the requests they made, before
    the test's database is emptied. A story's change form talks to the
    server in the background (its live preview, autosave and presence, and
    a last word when it closes), and a request still running during the
    flush makes the flush fail.
    """
    from playwright.sync_api import Error

    for context in browser.contexts:
        for open_page in context.pages:
            with contextlib.suppress(Error):  # closing already
                open_page.goto("about:blank")
    requests_in_flight.wait_until_idle()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name"): a PNG in test-artifacts/ when SCREENSHOTS=1."""

    def take(page, name):
        if os.environ.get("SCREENSHOTS") != "1":
            return None
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@functools.cache
def _axe_source():
    if not AXE.exists():
        pytest.fail(
            f"{AXE.relative_to(ROOT)} is missing: run `npm ci` in {ROOT} "
            "(`make test` does) to install axe-core for the accessibility tests",
            pytrace=False,
        )
    return AXE.read_text()


# Runs in the page: the serious and critical violations, each with the
# selectors of the first few elements it was found on. Transitions still
# running (the admin fades link colours) would be measured half-way, so
# the finite ones end first.
_AXE_RUN = """
async (tags) => {
  const finite = document.getAnimations().filter(
    (a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity,
  );
  await Promise.all(finite.map((a) => a.finished.catch(() => null)));
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      count: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((node) => node.target.join(" ")),
    }));
}
"""


@pytest.fixture
def axe():
    """
    axe(page): the page's serious and critical WCAG 2.1 AA violations as
    axe-core finds them, one line each naming the rule and the first
    elements it fails on, for an assertion's message.

    axe-core goes in with page.evaluate, which the browser runs through
    its debugging protocol: the site's Content Security Policy, which would
    block an inline <script> (add_script_tag), does not apply to it, and
    the page stays under its real policy while axe looks at it.
    """

    def check(page, *, tags=WCAG_21_AA):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(_axe_source())
        found = page.evaluate(_AXE_RUN, list(tags))
        return [
            f"{v['id']} ({v['impact']}): {v['help']}; {v['count']} element(s): "
            + ", ".join(v["targets"])
            + (" …" if v["count"] > len(v["targets"]) else "")
            for v in found
        ]

    return check
