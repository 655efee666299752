"""
The editors' admin desk in a real browser: the publish step's date and time
pickers are the admin's own and name the time zone, and the wide pages fit a
1280 px screen without scrolling sideways.
"""

import datetime
import re
import zoneinfo

import pytest
from django.test import override_settings
from django.utils import timezone

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import FeedbackVote
from tests.browser.test_csp import watch
from tests.browser.test_editorial_flow import PASSWORD, log_in
from tests.factories import make_citation, make_faq, make_related, make_story, make_user

BERLIN = "Europe/Berlin"
VIEWPORT = {"width": 1280, "height": 800}

# Elements that scroll sideways inside the page (a wide table in an
# overflow: auto box), which document.documentElement.scrollWidth misses.
SIDEWAYS_SCROLLERS = """
() => [...document.querySelectorAll("body *")]
  .filter((el) => !["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName))
  .filter((el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX))
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.id || el.className || el.tagName)
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TIME_ZONE=BERLIN)
def test_a_reviewer_schedules_with_the_admin_calendar_and_clock(
    browser, live_server, screenshot, request
):
    make_user("rita", role="Reviewer", password=PASSWORD)
    story = make_story(4501, title="Scheduled with the pickers")
    make_citation(story)
    actions.story_submit(story=story, by=None)
    # A reviewer in Berlin, like the server: the shortcuts fill in Berlin time.
    context = browser.new_context(timezone_id=BERLIN, viewport=VIEWPORT)
    request.addfinalizer(context.close)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = watch(page)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/workflow/publish/")

    note = page.locator("#time-zone-note").inner_text()
    assert re.fullmatch(r"Times are in Europe/Berlin \(UTC\+0[12]:00\)\.", note), note
    go_live = page.locator(".field-go_live_at")
    # Drawn with the admin's own styles: the icons are its images.
    icon = go_live.locator(".date-icon")
    assert "icon-calendar.svg" in icon.evaluate(
        "el => getComputedStyle(el).backgroundImage"
    )
    # The admin's calendar: its icon opens the month, "Tomorrow" picks the day;
    # the clock's "Now" link fills the time.
    go_live.locator(".date-icon").click()
    page.locator(".calendarbox:visible").get_by_role(
        "button", name=re.compile(r"^Tomorrow")
    ).click()
    go_live.get_by_role("button", name="Now").click()
    # Expiry: the 28th of next month in the calendar, 6 p.m. on the clock.
    expire = page.locator(".field-expire_at")
    expire.locator(".date-icon").click()
    calendar = page.locator(".calendarbox:visible")
    calendar.locator(".calendarnav-next").click()
    calendar.locator("td a", has_text=re.compile(r"^28$")).click()
    expire.locator(".clock-icon").click()
    page.locator(".clockbox:visible").get_by_role("button", name="6 p.m.").click()

    berlin_now = timezone.now().astimezone(zoneinfo.ZoneInfo(BERLIN))
    tomorrow = (berlin_now + datetime.timedelta(days=1)).date()
    next_28th = (
        berlin_now.date().replace(day=1) + datetime.timedelta(days=32)
    ).replace(day=28)
    assert page.input_value("#id_go_live_at_0") == tomorrow.isoformat()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", page.input_value("#id_go_live_at_1"))
    assert page.input_value("#id_expire_at_0") == next_28th.isoformat()
    assert page.input_value("#id_expire_at_1") == "18:00:00"
    screenshot(page, "pickers-filled")

    page.fill("#id_comment", "Goes out tomorrow.")
    page.click("input[name=_step]")
    page.wait_for_url(re.compile(r"/change/$"))
    # The change form asks for its preview: let it finish before the data goes.
    page.wait_for_load_state("networkidle")
    screenshot(page, "scheduled")
    assert "Scheduled" in page.inner_text(".messagelist")
    assert problems == []

    story.refresh_from_db()
    assert story.status == StoryStatus.SCHEDULED
    go_live_at = story.scheduled_go_live_at.astimezone(zoneinfo.ZoneInfo(BERLIN))
    assert go_live_at.date() == tomorrow
    # The time "Now" filled in, read as Berlin time: a day from now, to the minute.
    assert abs(go_live_at - berlin_now - datetime.timedelta(days=1)) < (
        datetime.timedelta(minutes=2)
    )
    expire_at = story.scheduled_expire_at.astimezone(zoneinfo.ZoneInfo(BERLIN))
    assert (expire_at.date(), expire_at.hour) == (next_28th, 18)


def fits(page):
    """The page's width and what scrolls sideways in it, for one assert."""
    return (
        page.evaluate("document.documentElement.scrollWidth"),
        page.evaluate(SIDEWAYS_SCROLLERS),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_wide_pages_fit_1280_pixels(browser, page, live_server, screenshot):
    make_user("edna", role="Editor", password=PASSWORD)
    long_words = "https://example.org/" + "a-very-long-path-segment/" * 12
    story = make_story(
        4502,
        title="Port 4502: a title long enough to wrap " + "and wrap " * 12,
        body="Body.[^1][^2][^3][^4][^5]",
    )
    for position in range(1, 6):
        make_citation(
            story,
            position=position,
            title="Service names and port numbers, an annotated history " * 5,
            publisher="Internet Assigned Numbers Authority and friends",
            url=long_words[:480],
            note="Read with care; " * 18,
            accessed_on=datetime.date(2025, 3, position),
        )
    for position in range(1, 4):
        make_faq(story, position=position)
    make_related(story, 4503, note="A neighbour")
    for number in range(4510, 4516):
        make_story(number, title=f"Story {number} " + "in many words " * 6)
    at = timezone.now() - datetime.timedelta(days=1)
    for n in range(12):
        FeedbackVote.objects.create(
            port_id=story.port_id,
            story=story,
            language=["de", "zh-hans", "pt-br"][n % 3],
            helpful=n % 4 == 0,
            comment=["", "Too long to read " * 50, "x" * 1000, long_words][n % 4],
            created_at=at + datetime.timedelta(minutes=n),
        )
    page.set_viewport_size(VIEWPORT)
    log_in(page, live_server.url, "edna")

    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
    page.wait_for_load_state("networkidle")
    assert (
        page.locator("#citations-group .inline-related.dynamic-citations").count() == 5
    )
    screenshot(page, "change-form")
    assert fits(page) == (1280, [])

    page.goto(f"{live_server.url}/admin/translations/")
    stories = page.locator("table.completeness").last
    assert stories.locator("th[scope=row]").count() == 7
    screenshot(page, "translations")
    assert fits(page) == (1280, [])

    page.goto(f"{live_server.url}/admin/ports/feedbackvote/report/")
    assert page.locator("#feedback-report tbody tr").count() == 3
    assert "x" * 1000 in page.inner_text("#feedback-report")
    screenshot(page, "feedback-report")
    assert fits(page) == (1280, [])
