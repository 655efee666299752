"""
The hostile corpus (tests/test_hostile_content.py) in every writable field,
opened in a real browser: the public page in three languages, the preview,
the admin's lists and change pages and the feedback report. Nothing runs: no
dialog opens, and the browser reports no error, so not even a script the
Content Security Policy blocked got into a page.
"""

import pytest
from django.contrib.auth import get_user_model

from ports.models import Assignment, FeedbackVote
from tests.browser.test_csp import watch
from tests.test_hostile_content import NUMBER, hostile_world

PASSWORD = "browser-test-password-1"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hostile_content_never_runs(page, live_server, screenshot):
    story = hostile_world()
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    problems = watch(page)
    base = live_server.url

    for url in [f"/ports/{NUMBER}/", f"/ar/ports/{NUMBER}/", f"/ja/ports/{NUMBER}/"]:
        page.goto(base + url)
        # Hover and focus everything, for handlers that wait for a reader.
        for link in page.locator("main a").all()[:40]:
            link.hover()
        screenshot(page, url.strip("/").replace("/", "-"))
    assert problems == []
    # The title is there, as text.
    assert "<script>alert(1)</script>" in page.inner_text("h1")

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    assignment = Assignment.objects.get(service_name="evil-svc").pk
    for url in [
        f"/preview/stories/{story.pk}/",
        "/admin/ports/story/",
        f"/admin/ports/story/{story.pk}/change/",
        f"/admin/ports/story/{story.pk}/revisions/",
        "/admin/ports/assignment/",
        f"/admin/ports/assignment/{assignment}/change/",
        "/admin/ports/registrychange/",
        "/admin/ports/importrun/",
        "/admin/ports/feedbackvote/",
        f"/admin/ports/feedbackvote/{FeedbackVote.objects.first().pk}/change/",
        "/admin/ports/feedbackvote/report/",
    ]:
        page.goto(base + url)
        screenshot(page, url.strip("/").replace("/", "-"))
    # The language switch of the story form shows every language's payloads.
    page.goto(f"{base}/admin/ports/story/{story.pk}/change/")
    switch = page.get_by_label("Language being edited")
    for code in switch.locator("option").evaluate_all("os => os.map(o => o.value)"):
        switch.select_option(code)
    assert problems == []
