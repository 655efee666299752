"""
An editor writes and submits a story, a reviewer publishes it, a reader sees
it: the whole editorial flow in a real browser. SCREENSHOTS=1 keeps a PNG of
each step in test-artifacts/.
"""

import re

import pytest

from ports.choices import StoryStatus
from ports.models import Story, StoryTransition
from tests.factories import make_published_story, make_story, make_user

PASSWORD = "browser-test-password-1"
TITLE = "Port 4321: a story told in the browser"


def log_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editor_writes_reviewer_publishes_reader_sees(
    browser, page, live_server, screenshot
):
    make_user("edna", role="Editor", password=PASSWORD)
    make_user("rita", role="Reviewer", password=PASSWORD)
    base = live_server.url

    # The editor writes a story with a citation and a FAQ, and submits it.
    log_in(page, base, "edna")
    page.goto(f"{base}/admin/ports/story/add/")
    page.fill("#id_port", "4321")
    page.fill("#id_title_en", TITLE)
    page.fill("#id_summary_en", "Nobody registered it, everybody used it.")
    page.fill("#id_body_en", "## Origins\n\nFirst seen in 1994.[^1]")
    page.click("#citations-group .add-row a")
    page.fill("#id_citations-0-position", "1")
    page.fill("#id_citations-0-title", "Usenet post announcing the service")
    page.fill("#id_citations-0-url", "https://example.org/usenet/1994")
    page.click("#faqs-group .add-row a")
    page.fill("#id_faqs-0-question_en", "Is port 4321 dangerous?")
    page.fill(
        "#id_faqs-0-answer_en", "Only if something you do not know listens on it."
    )
    screenshot(page, "1-editor-writes")
    page.click("input[name=_submit_for_review]")
    page.wait_for_url(re.compile(r"/workflow/submit/$"))
    screenshot(page, "2-submit-step")
    page.fill("#id_comment", "Ready for a look.")
    page.click("input[name=_step]")
    page.wait_for_url(re.compile(r"/admin/ports/story/\d+/change/$"))
    assert "Submitted for review" in page.inner_text(".messagelist")
    screenshot(page, "3-submitted")
    story = Story.objects.get(port_id=4321)
    assert story.status == StoryStatus.IN_REVIEW

    # The reviewer finds it in the queue and publishes it.
    reviewer_context = browser.new_context()
    reviewer = reviewer_context.new_page()
    reviewer.set_default_timeout(15_000)
    log_in(reviewer, base, "rita")
    queue = reviewer.locator("#queue-awaiting_review")
    assert TITLE in queue.inner_text()
    screenshot(reviewer, "4-reviewer-index")
    queue.get_by_role("link", name=re.compile("4321")).click()
    reviewer.wait_for_url(re.compile(r"/change/$"))
    assert "Ready for a look." in reviewer.inner_text("#audit-trail")
    screenshot(reviewer, "5-reviewer-story")
    reviewer.locator("#workflow").get_by_role("link", name="Publish").click()
    reviewer.wait_for_url(re.compile(r"/workflow/publish/$"))
    screenshot(reviewer, "6-publish-step")
    reviewer.click("input[name=_step]")
    reviewer.wait_for_url(re.compile(r"/change/$"))
    assert "Published" in reviewer.inner_text(".messagelist")
    screenshot(reviewer, "7-published")
    reviewer_context.close()

    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED and story.is_live()
    assert [t.action for t in story.transitions.order_by("created_at", "id")] == [
        StoryTransition.Action.SUBMIT,
        StoryTransition.Action.PUBLISH,
    ]

    # An anonymous reader sees it on the port's page.
    reader_context = browser.new_context()
    reader = reader_context.new_page()
    reader.goto(f"{base}/ports/4321/")
    assert reader.inner_text("h1") == TITLE
    assert "Is port 4321 dangerous?" in reader.inner_text("main")
    assert "Usenet post announcing the service" in reader.inner_text(".sources")
    screenshot(reader, "8-reader")
    reader_context.close()


def open_change_form(page, live_server, story):
    """An editor signed in, on the story's change form."""
    make_user("edna", role="Editor", password=PASSWORD)
    log_in(page, live_server.url, "edna")
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_preview_an_editor_opens_says_it_is_not_live(
    browser, page, live_server, screenshot
):
    story = make_story(4322, title="A draft nobody reviewed")
    open_change_form(page, live_server, story)
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Preview").click()
    preview = opened.value
    preview.wait_for_load_state()
    banner = preview.locator(".preview-banner")
    assert banner.is_visible()
    assert banner.inner_text() == f"Preview: not live Draft, version {story.version}."
    assert preview.locator("h1").inner_text() == "A draft nobody reviewed"
    assert preview.locator(".reviewed").count() == 0  # never reviewed
    screenshot(preview, "preview-banner")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editor_is_told_what_the_body_loses_and_sees_the_title_count(
    browser, page, live_server, screenshot
):
    open_change_form(page, live_server, make_story(4323, title="Counting"))
    counter = page.locator("#id_title_en + .length-counter")
    assert counter.inner_text() == "8 / 200"
    announced = page.locator("#id_title_en ~ [role=status]")
    assert counter.get_attribute("aria-live") is None  # not every keystroke
    assert page.get_attribute("#id_title_en", "aria-describedby") == (
        "id_title_en-length"
    )
    page.fill("#id_title_en", "x" * 205)  # not cut by the browser
    assert counter.inner_text() == "205 / 200"
    assert "over-limit" in counter.get_attribute("class")
    assert announced.inner_text() == "Over the limit of 200 characters."
    # Characters as Django counts them: an emoji is one, not two.
    page.fill("#id_title_en", "🚢" * 200)
    assert counter.inner_text() == "200 / 200"
    assert announced.inner_text() == "Within the limit of 200 characters again."
    page.fill("#id_title_en", "Counting again")
    page.fill("#id_body_en", "Body text.[^1] <script>alert(1)</script>")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    warning = page.locator(".messagelist .warning")
    assert "Body (English): <script> was removed with its content" in (
        warning.inner_text()
    )
    screenshot(page, "removed-markup-warning")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editor_compares_the_working_copy_with_the_live_version_in_one_click(
    browser, page, live_server, screenshot
):
    story = make_published_story(4324, title="The live title")
    open_change_form(page, live_server, story)
    assert page.get_by_role("link", name="Compare with live").count() == 0
    page.fill("#id_title_en", "The working title")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    page.get_by_role("link", name="Compare with live").click()
    page.wait_for_url(re.compile(r"/revisions/compare/"))
    diff = page.locator(".diff").first
    assert diff.locator("del").first.inner_text().strip() == "live"
    assert diff.locator("ins").first.inner_text().strip() == "working"
    screenshot(page, "compare-with-live")
