"""A known use an editor adds goes through review before readers see it."""

import re

import pytest

from tests.browser.test_editorial_flow import PASSWORD, log_in
from tests.factories import make_published_story, make_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_known_use_is_reviewed_before_readers_see_it(
    browser, page, live_server, screenshot
):
    story = make_published_story(31337, title="Port 31337: elite")
    make_user("edna", role="Editor", password=PASSWORD)
    make_user("rita", role="Reviewer", password=PASSWORD)
    base = live_server.url

    log_in(page, base, "edna")
    page.goto(f"{base}/admin/ports/story/{story.pk}/change/")
    page.click("#known_uses-group .add-row a")
    page.select_option("#id_known_uses-0-kind", "malware")
    page.fill("#id_known_uses-0-name", "Back Orifice")
    page.fill("#id_known_uses-0-source_title", "A malware encyclopedia")
    page.fill("#id_known_uses-0-source_url", "https://example.org/back-orifice")
    screenshot(page, "1-editor-adds-known-use")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    assert "Draft" in page.inner_text("#workflow")

    reader = browser.new_context().new_page()
    reader.goto(f"{base}/ports/31337/")
    assert "Back Orifice" not in reader.inner_text("main")

    page.locator("#workflow").get_by_role("link", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/workflow/submit/$"))
    page.click("input[name=_step]")
    page.wait_for_url(re.compile(r"/change/$"))

    reviewer = browser.new_context().new_page()
    log_in(reviewer, base, "rita")
    reviewer.goto(f"{base}/admin/ports/story/{story.pk}/change/")
    reviewer.get_by_role("link", name="Compare with live").click()
    reviewer.wait_for_url(re.compile(r"/revisions/compare/"))
    added = reviewer.locator("ins", has_text="Back Orifice")
    assert "Malware report: Back Orifice" in added.inner_text()
    screenshot(reviewer, "2-reviewer-compares")
    reviewer.goto(f"{base}/admin/ports/story/{story.pk}/change/")
    reviewer.locator("#workflow").get_by_role(
        "link", name="Publish", exact=True
    ).click()
    reviewer.wait_for_url(re.compile(r"/workflow/publish/$"))
    reviewer.click("input[name=_step]")
    reviewer.wait_for_url(re.compile(r"/change/$"))

    # A new reader: the first one's browser may keep its copy for a while.
    reader = browser.new_context().new_page()
    reader.goto(f"{base}/ports/31337/")
    uses = reader.locator(".known-uses")
    assert "Back Orifice" in uses.inner_text()
    assert "Malware report" in uses.inner_text()
    screenshot(reader, "3-reader-sees-it")
