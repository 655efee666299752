"""
The admin's registry import in a real browser: upload (with its progress),
preview, confirm, follow the import to its run.
"""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from ports import tasks
from ports.models import Assignment, ImportRun
from ports.registry import importing
from tests.factories import make_user, registry_csv
from tests.shared_data import NEWER, shared_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "browser-test-password-1"
FIRST = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
    ["gone", "81", "tcp", "Withdrawn next time"],
    ["x11", "6000-6063", "tcp", "X Window System", "[Stephen_Gildea]"],
)
SECOND = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP", "[IESG]", "", "", "2025-01"],
    ["x11", "6000-6063", "tcp", "X Window System\nversion 11", "[Stephen_Gildea]"],
    ["new-svc", "83", "tcp", "Brand new"],
    ["bad", "abc", "tcp", "Not a port"],
)
IMPORT_PATH = "/admin/ports/assignment/import/"


@pytest.fixture
def registry_manager(live_server, page, settings, tmp_path):
    """A registry manager signed in, on the assignments' list."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    make_user("rita", role="Registry manager", password=PASSWORD)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/ports/assignment/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/ports/assignment/")
    return page


@pytest.fixture
def csp_violations(page):
    """Messages the browser logs for anything the page's CSP blocked."""
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def hold_uploads(page):
    """Hold the upload's request until released, as a slow network would."""
    held = []

    def hold(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(f"**{IMPORT_PATH}", hold)
    return held


def wait_for(page, held):
    while not held:
        page.wait_for_timeout(20)
    return held.pop()


def test_editor_previews_confirms_and_follows_the_link_to_the_import_run(
    live_server, registry_manager, screenshot, tmp_path, csp_violations, axe
):
    page = registry_manager
    importing.import_registry(FIRST, file_name="first.csv")
    upload = tmp_path / "service-names-port-numbers.csv"
    upload.write_bytes(SECOND)

    page.click("a.import_link")
    progress = page.locator("#upload-registry .upload-progress")
    expect(progress).to_be_hidden()
    held = hold_uploads(page)
    page.set_input_files("#id_import_file", str(upload))
    page.check("#id_skip_invalid")
    page.click("#upload-registry input[type=submit]")

    # While the file is on its way and read, the editor sees it happening.
    request = wait_for(page, held)
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_be_visible()
    expect(page.locator("#upload-registry input[type=submit]")).to_be_disabled()
    screenshot(page, "uploading")
    assert axe(page) == []
    request.continue_()

    counts = page.locator("#import-counts td")
    expect(counts).to_have_text(["1", "2", "0", "1", "1"])
    assert page.url == f"{live_server.url}{IMPORT_PATH}"
    changed = page.locator("#changed").inner_text()
    assert "[Tim_Berners_Lee] → [IESG]" in changed
    assert "X Window System → X Window System\nversion 11" in changed
    assert "gone 81/tcp" in page.locator("#withdrawn").inner_text()
    assert "abc" in page.locator("#invalid").inner_text()
    # The upload form that follows the preview has its own, hidden, progress.
    expect(progress).to_be_hidden()
    screenshot(page, "preview")

    page.click("#confirm-import input[type=submit]")
    link = page.locator("#import-run-link")
    expect(link).to_be_visible()
    run = ImportRun.objects.latest("started_at")
    assert "Imported service-names-port-numbers.csv as import run" in (
        page.inner_text(".messagelist")
    )
    bar = page.locator("#import-progress")
    expect(bar).to_have_attribute("value", bar.get_attribute("max"))
    screenshot(page, "applied")

    link.click()
    page.wait_for_url(f"{live_server.url}/admin/ports/importrun/{run.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Applied")
    screenshot(page, "import-run")
    assert Assignment.objects.get(service_name="http").assignee == "[IESG]"
    assert ImportRun.objects.count() == 2
    assert csp_violations == []


def test_a_refused_upload_shows_the_error_and_links_its_refused_run(
    live_server, registry_manager, screenshot, tmp_path, csp_violations
):
    page = registry_manager
    wrong = tmp_path / "ports.csv"
    wrong.write_bytes(b"port;name\r\n80;http\r\n")
    page.goto(f"{live_server.url}{IMPORT_PATH}")
    page.set_input_files("#id_import_file", str(wrong))
    page.click("#upload-registry input[type=submit]")

    errors = page.locator("#upload-registry .errorlist")
    expect(errors).to_contain_text("This file's columns are: 'port;name'.")
    run = ImportRun.objects.get()
    assert run.outcome == "refused"
    screenshot(page, "refused")
    page.click("#refused-run a")
    page.wait_for_url(f"{live_server.url}/admin/ports/importrun/{run.pk}/change/")
    expect(page.locator("#content")).to_contain_text("This file's columns are")
    assert csp_violations == []


def test_a_queued_import_shows_its_progress_and_then_links_its_run(
    live_server, registry_manager, screenshot, tmp_path, settings, csp_violations, axe
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default"],
        }
    }
    page = registry_manager
    upload = tmp_path / "service-names-port-numbers.csv"
    upload.write_bytes(FIRST)
    page.goto(f"{live_server.url}{IMPORT_PATH}")
    page.set_input_files("#id_import_file", str(upload))
    page.click("#upload-registry input[type=submit]")
    page.click("#confirm-import input[type=submit]")

    page.wait_for_url(re.compile(r".*/import/status/[^/]+/$"))
    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-status", "READY")
    bar = page.locator("#import-progress")
    assert bar.get_attribute("value") is None  # indeterminate while queued
    # The page polls the task's progress and moves the bar without reloading.
    result_id = page.url.rstrip("/").rsplit("/", 1)[1]
    cache.set(tasks.PROGRESS_KEY.format(result_id), [1, 6])
    expect(bar).to_have_attribute("value", "1")
    expect(bar).to_have_attribute("max", "6")
    expect(page.locator("#import-progress-text")).to_have_text("1 of 6 rows written.")
    screenshot(page, "queued")
    assert axe(page) == []

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    link = page.locator("#import-run-link")
    expect(link).to_be_visible()
    # Into an empty registry: a baseline writes its 3 entries, no change rows.
    expect(bar).to_have_attribute("value", "3")
    screenshot(page, "done")
    link.click()
    run = ImportRun.objects.get()
    page.wait_for_url(f"{live_server.url}/admin/ports/importrun/{run.pk}/change/")
    assert Assignment.objects.count() == 3
    assert csp_violations == []


def test_the_whole_registry_file_uploads_with_a_moving_bar(
    live_server, registry_manager, screenshot
):
    """On a slow link the bar counts the bytes sent of the real file's size."""
    page = registry_manager
    path = shared_file(NEWER)
    page.goto(f"{live_server.url}{IMPORT_PATH}")
    session = page.context.new_cdp_session(page)
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            # 256 KB/s: about four seconds for the 1.1 MB file.
            "uploadThroughput": 256 * 1024,
        },
    )
    page.set_input_files("#id_import_file", str(path))
    page.click("#upload-registry input[type=submit]")

    bar = page.locator("#upload-registry .upload-progress progress")
    page.wait_for_function(
        "() => { const bar = document.querySelector("
        "'#upload-registry .upload-progress progress');"
        " return bar && bar.value > 0 && bar.value < bar.max; }"
    )
    sent_text = page.locator("#upload-progress-text").inner_text()
    assert re.fullmatch(r"Sending the file: [\d.]+ [KM]B of 1\.1 MB\.", sent_text)
    assert int(bar.get_attribute("max")) >= path.stat().st_size
    screenshot(page, "sending")
    new = page.locator('#import-counts td[data-count="new"]')
    expect(new).to_be_visible(timeout=60_000)
    assert int(new.inner_text()) > 14_000
