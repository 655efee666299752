"""
A real browser on shared pages: the second visit comes from the page cache,
compressed, and the feedback form posts from it with no token of its own,
with and without JavaScript; a form on another site cannot post it.
"""

import http.server
import threading

import pytest
from playwright.sync_api import expect

from ports.models import FeedbackPrompt, FeedbackVote
from tests.factories import make_published_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# Headless Chromium names itself in its user agent, and the feedback view
# turns away clients that look like bots.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
)


@pytest.fixture
def prompt(db):
    FeedbackPrompt.objects.update_or_create(
        key="default",
        defaults={
            "question": "Was this page helpful?",
            "yes_label": "Yes",
            "no_label": "No",
        },
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "plain-form"])
def test_a_cached_page_renders_and_its_form_posts(
    live_server, browser, screenshot, prompt, javascript
):
    make_published_story(4750, title="Shared and served")
    context = browser.new_context(user_agent=DESKTOP, java_script_enabled=javascript)
    page = context.new_page()
    url = f"{live_server.url}/ports/4750/"
    page.goto(url)  # fills the cache
    context.clear_cookies()
    response = page.goto(url)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"].startswith("public")
    assert "set-cookie" not in response.headers
    assert page.locator("h1").inner_text() == "Shared and served"
    screenshot(page, "cached-gzip")
    page.get_by_role("button", name="Yes").click()
    expect(page.locator("#feedback")).to_contain_text("Thank")
    assert FeedbackVote.objects.filter(port_id=4750, helpful=True).count() == 1
    if not javascript:
        assert page.url.endswith("?thanks=1#feedback")
    context.close()


@pytest.fixture
def other_site(live_server):
    """A page of another site (another host name) with a form posting to ours."""
    host = "localhost" if "localhost" in live_server.url else "127.0.0.1"
    other = "127.0.0.1" if host == "localhost" else "localhost"
    form = (
        f'<form method="post" action="{live_server.url}/ports/4751/feedback/">'
        '<input name="helpful" value="yes"><button>Send</button></form>'
    ).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the HTTP method's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(form)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((other, 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{other}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_form_on_another_site_cannot_post_the_answer(
    browser, prompt, other_site, screenshot
):
    context = browser.new_context(user_agent=DESKTOP)
    page = context.new_page()
    page.goto(other_site)
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert "This form can only be sent from this site" in page.content()
    screenshot(page, "cross-site-refused")
    assert not FeedbackVote.objects.exists()
    context.close()
