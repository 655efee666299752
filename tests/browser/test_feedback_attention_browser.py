"""A reviewer finds a story readers found unhelpful and reads why."""

import pytest
from django.test import override_settings

from tests.browser.test_editorial_flow import PASSWORD, log_in
from tests.factories import make_published_story, make_user
from tests.test_feedback_attention import answers


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(
    FEEDBACK_ATTENTION_SHARE=50,
    FEEDBACK_ATTENTION_MIN_VOTES=4,
    FEEDBACK_ATTENTION_DAYS=30,
)
def test_a_reviewer_follows_the_needs_attention_queue(page, live_server, screenshot):
    story = make_published_story(4801, title="A confusing story")
    answers(story, "de", yes=1, no=4, comments=["Die Befehle fehlen."])
    answers(make_published_story(4802, title="A fine story"), "de", yes=5, no=0)
    make_user("rita", role="Reviewer", password=PASSWORD)
    log_in(page, live_server.url, "rita")

    queue = page.locator("#queue-needs_attention")
    assert "A confusing story" in queue.inner_text()
    assert "A fine story" not in queue.inner_text()
    assert "Die Befehle fehlen." in queue.inner_text()
    screenshot(page, "needs-attention")
    queue.get_by_role("link", name="4801: A confusing story").click()
    page.wait_for_url(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
