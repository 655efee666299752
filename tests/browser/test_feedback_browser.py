"""
“Was this page helpful?” in a real browser: answered in place by the script,
without a reload, and the same form without JavaScript.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from ports.models import FeedbackVote


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)


def no_console_errors(page):
    """Script errors and failed loads, browsers' own favicon request aside."""
    errors = []

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith(
            "/favicon.ico"
        ):
            errors.append(f"{message.text} {message.location.get('url')}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_inline_vote_and_comment_without_reload(page, live_server, demo, screenshot):
    errors = no_console_errors(page)
    page.goto(f"{live_server.url}/ja/ports/1381/")
    page.evaluate("window.notReloaded = true")
    box = page.locator("#feedback")
    assert box.locator("h2").inner_text() == "このページは役に立ちましたか？"
    assert page.locator(".feedback-comment").is_hidden()
    box.get_by_role("button", name="いいえ").click()
    status = box.locator(".feedback-status")
    status.wait_for(state="visible")
    assert status.inner_text() == "ご意見ありがとうございました。"
    # Answered in place: the same page, the answer buttons gone, the comment asked.
    assert page.evaluate("window.notReloaded") is True
    assert page.url == f"{live_server.url}/ja/ports/1381/"
    assert page.locator(".feedback-answer").is_hidden()
    comment = page.locator("#feedback-comment")
    assert comment.is_visible()
    screenshot(page, "after-no")
    comment.fill("<b>説明が足りません</b>")
    box.get_by_role("button", name="コメントを送信").click()
    expect(status).to_contain_text("編集者")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator(".feedback-comment").is_hidden()
    screenshot(page, "after-comment")
    vote = FeedbackVote.objects.get()
    assert (vote.port_id, vote.language, vote.helpful) == (1381, "ja", False)
    assert vote.comment == "<b>説明が足りません</b>"
    # A second answer from the same reader is not counted again.
    page.goto(f"{live_server.url}/ja/ports/1381/")
    page.locator("#feedback").get_by_role("button", name="はい").click()
    expect(page.locator(".feedback-status")).to_contain_text("すでに回答")
    assert FeedbackVote.objects.count() == 1
    assert errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_vote_without_javascript_posts_and_returns(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/ports/1381/")
        page.locator("#feedback").get_by_role("button", name="No").click()
        page.wait_for_url(f"{live_server.url}/ports/1381/?thanks=no#feedback")
        assert "Thank you for your feedback." in page.inner_text("#feedback")
        page.fill("#feedback-comment", "Missing the history.")
        page.locator("#feedback").get_by_role("button", name="Send comment").click()
        page.wait_for_url(f"{live_server.url}/ports/1381/?thanks=comment#feedback")
        assert FeedbackVote.objects.get().comment == "Missing the history."
    finally:
        context.close()
