"""
A real browser on cached pages: the second visit is a cache hit, compressed
by splicing the reader's CSRF token into the stored gzip pieces; Chromium
shows it and the feedback form posts with the spliced token.
"""

import pytest
from playwright.sync_api import expect

from ports.models import FeedbackPrompt, FeedbackVote

from ..factories import make_published_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# Headless Chromium names itself in its user agent, and the feedback view
# turns away clients that look like bots.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
)


def test_a_compressed_cache_hit_renders_and_its_form_posts(
    live_server, browser, screenshot
):
    make_published_story(4750, title="Spliced and served")
    FeedbackPrompt.objects.update_or_create(
        key="default",
        defaults={
            "question": "Was this page helpful?",
            "yes_label": "Yes",
            "no_label": "No",
        },
    )
    context = browser.new_context(user_agent=DESKTOP)
    page = context.new_page()
    url = f"{live_server.url}/ports/4750/"
    page.goto(url)  # fills the cache
    page.context.clear_cookies()  # a new reader: a new token spliced in
    response = page.goto(url)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["etag"].startswith("W/")
    assert page.locator("h1").inner_text() == "Spliced and served"
    screenshot(page, "cached-gzip")
    page.get_by_role("button", name="Yes").click()
    expect(page.locator("#feedback")).to_contain_text("Thank")
    assert FeedbackVote.objects.filter(port_id=4750, helpful=True).count() == 1
    context.close()
