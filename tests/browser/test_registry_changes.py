"""
Readers watch the registry in a real browser: the registry changes page in
English and right to left, from there to a port, whose history is dated by
the registry; phones, and axe-core's WCAG 2.1 AA checks.
"""

import pytest

from ports.registry import importing
from tests.factories import registry_csv

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FIRST = [
    ["http", "80", "tcp", "World Wide Web HTTP", "[TBL]", "", "1990-01", "2018-07-11"],
    ["gone", "81", "tcp", "Will be withdrawn", "", "", "2001-01-02", ""],
    ["x11", "6000-6063", "tcp", "X Window System", "[SG]", "", "", ""],
]
SECOND = [
    ["http", "80", "tcp", "World Wide Web HTTP", "[IESG]", "", "1990-01", "2026-04-09"],
    ["x11", "6000-6063", "tcp", "X Window System", "[SG]", "", "", ""],
    ["compressnet", "2", "tcp", "Management Utility", "", "", "", ""],
]


def two_imports():
    importing.import_registry(registry_csv(*FIRST), file_name="2018.csv")
    _, run = importing.import_registry(registry_csv(*SECOND), file_name="2026.csv")
    return run


@pytest.mark.parametrize(
    ("language", "prefix", "heading"),
    [("en", "", "Registry changes"), ("ar", "/ar", "تغييرات السجل")],
    ids=["en", "ar"],
)
def test_a_reader_follows_a_registry_change_to_the_ports_history(
    page, live_server, screenshot, axe, language, prefix, heading
):
    run = two_imports()
    page.goto(f"{live_server.url}{prefix}/")
    page.locator("footer").get_by_role("link", name=heading).click()
    page.wait_for_url(f"{live_server.url}{prefix}/registry/changes/")
    assert page.locator("html").get_attribute("dir") == (
        "rtl" if language == "ar" else "ltr"
    )
    assert page.locator("h1").inner_text() == heading
    assert axe(page) == []
    screenshot(page, "list")
    page.locator(".registry-runs h2 a").first.click()
    page.wait_for_url(f"{live_server.url}{prefix}/registry/changes/{run.pk}/")
    changed = page.locator("#changed-heading + ul li").first
    assert changed.locator("del").first.inner_text() == "[TBL]"
    assert changed.locator("ins").first.inner_text() == "[IESG]"
    assert axe(page) == []
    screenshot(page, "update")
    page.locator("#withdrawn-heading + ul").get_by_role("link").last.click()
    page.wait_for_url(f"{live_server.url}{prefix}/ports/81/")
    history = page.locator("ul.history li")
    assert history.count() == 2
    dates = [history.nth(n).locator("time").inner_text() for n in range(2)]
    assert dates == ["2026-04-09", "2018-07-11"]
    if language == "en":
        assert history.first.inner_text().startswith(
            "Gone from the registry of 2026-04-09"
        )
    screenshot(page, "port")


def test_the_changes_page_fits_a_phone(browser, live_server, screenshot):
    run = two_imports()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for prefix in ("", "/ja"):
        page.goto(f"{live_server.url}{prefix}/registry/changes/{run.pk}/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        screenshot(page, f"phone{prefix.replace('/', '-')}")
    context.close()
