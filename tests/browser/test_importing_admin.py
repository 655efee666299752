"""The admin's registry import in a real browser: upload, preview, confirm."""

import pytest
from django.contrib.auth.models import User

from ports.models import Assignment, ImportRun
from ports.registry import importing
from tests.factories import registry_csv

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

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


def test_editor_previews_and_confirms_an_update(
    live_server,
    page,
    screenshot,
    tmp_path,
    settings,
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    User.objects.create_superuser("root", password="secret-for-tests")
    importing.import_registry(FIRST, file_name="first.csv")
    upload = tmp_path / "service-names-port-numbers.csv"
    upload.write_bytes(SECOND)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/ports/assignment/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "secret-for-tests")
    page.click("input[type=submit]")
    page.click("a.import_link")
    page.set_input_files("#id_import_file", str(upload))
    page.check("#id_skip_invalid")
    page.click("#upload-registry input[type=submit]")

    counts = page.locator("#import-counts td")
    assert counts.all_inner_texts() == ["1", "2", "0", "1", "1"]
    changed = page.locator("#changed").inner_text()
    assert "[Tim_Berners_Lee] → [IESG]" in changed
    assert "X Window System → X Window System\nversion 11" in changed
    assert "gone 81/tcp" in page.locator("#withdrawn").inner_text()
    assert "abc" in page.locator("#invalid").inner_text()
    screenshot(page, "preview")

    page.click("#confirm-import input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/ports/assignment/")
    assert "Imported service-names-port-numbers.csv as import run" in page.inner_text(
        ".messagelist"
    )
    screenshot(page, "applied")
    assert Assignment.objects.get(service_name="http").assignee == "[IESG]"
    assert ImportRun.objects.count() == 2
