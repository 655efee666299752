"""
The site and the admin work under the Content Security Policy: a real browser
reports no violation (a console error) on reader pages, the admin's pages,
modeltranslation's language tabs, import-export's pages and the editorial
workflow, and their scripts still run.
"""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_citation, make_published_story

PASSWORD = "browser-test-password-1"


def watch(page):
    """Console errors, failed CSP checks and dialogs seen by the page."""
    problems = []

    def on_console(message):
        # A 404 page's own status and the missing favicon are not faults.
        if message.type == "error" and "status of 404" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def on_dialog(dialog):
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_site_and_admin_work_under_the_policy(page, live_server, screenshot):
    story = make_published_story(4321, title="A story under CSP")
    make_citation(story, position=2)
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    problems = watch(page)
    base = live_server.url

    for url in ["/", "/ports/", "/ports/4321/", "/search/?q=4321", "/nope/"]:
        response = page.goto(base + url)
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.goto(f"{base}/ports/4321/")
    screenshot(page, "port")

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    pk = story.pk
    for url in [
        "/admin/",
        "/admin/ports/story/",
        f"/admin/ports/story/{pk}/revisions/",
        f"/admin/ports/story/{pk}/workflow/unpublish/",
        f"/preview/stories/{pk}/",
        "/admin/ports/assignment/",
        "/admin/ports/assignment/import/",
        "/admin/ports/assignment/export/",
        "/admin/auth/user/add/",
    ]:
        page.goto(base + url)
        screenshot(page, url.strip("/").replace("/", "-"))

    # The story form (every language's fields from modeltranslation): the
    # admin's inline rows are added by a script, which proves it ran.
    page.goto(f"{base}/admin/ports/story/{pk}/change/")
    assert page.locator("#id_title_ja").count() == 1
    rows = page.locator("#citations-group .dynamic-citations").count()
    page.click("#citations-group .add-row a")
    assert page.locator("#citations-group .dynamic-citations").count() == rows + 1
    screenshot(page, "story-change")

    # The changelist's action bar is script-driven too.
    page.goto(f"{base}/admin/ports/story/")
    page.check("#action-toggle")
    assert page.locator(".action-counter").inner_text().startswith("1 of 1")

    assert problems == []
