"""
The admin pages editors spend their day on have no serious or critical
WCAG 2.1 AA violations that axe-core can find: the index with its work
queues, the story list, a story's change form with its inlines, the publish
step and the registry import's preview, in the light and the dark colour
scheme (the admin follows the editor's system setting).
"""

import pytest
from playwright.sync_api import expect

from ports.editorial import actions, autosave, presence
from ports.models import FeedbackVote, KnownUse
from tests.browser.test_editorial_flow import PASSWORD, log_in
from tests.factories import (
    make_citation,
    make_faq,
    make_published_story,
    make_related,
    make_story,
    make_user,
    registry_csv,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("color_scheme"),
]


@pytest.fixture(params=["light", "dark"])
def color_scheme(request, page):
    page.emulate_media(color_scheme=request.param)
    return request.param


def story_in_review(number, *, title):
    editor = make_user("edna", role="Editor", password=PASSWORD)
    story = make_story(number, title=title)
    make_citation(story)
    make_faq(story)
    return actions.story_submit(story=story, by=editor, comment="Ready for a look.")


def test_the_admin_index_with_work_in_the_queues(live_server, page, axe, screenshot):
    story_in_review(4401, title="Waiting for a reviewer")
    live = make_published_story(4402, title="Already live")
    # Readers who found it unhelpful, with comments: work for the index too.
    for number in range(12):
        FeedbackVote.objects.create(
            port_id=live.port_id,
            story=live,
            language="de",
            helpful=False,
            comment=f"Veraltet, Nummer {number}.",
        )
    make_user("rita", role="Reviewer", password=PASSWORD)
    log_in(page, live_server.url, "rita")
    assert "Waiting for a reviewer" in page.inner_text("#queue-awaiting_review")
    screenshot(page, "index")
    violations = axe(page)
    assert violations == [], "\n".join(violations)


def test_the_story_list(live_server, page, axe, screenshot):
    story_in_review(4403, title="Waiting for a reviewer")
    make_published_story(4404, title="Already live")
    make_story(4405, title="Still a draft")
    make_user("rita", role="Reviewer", password=PASSWORD)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/admin/ports/story/")
    assert page.locator("#result_list tbody tr").count() == 3
    screenshot(page, "story-list")
    violations = axe(page)
    assert violations == [], "\n".join(violations)


def test_the_change_form_with_its_inlines(live_server, page, axe, screenshot):
    story = make_story(4406, title="A story with everything")
    make_citation(story, 1)
    make_citation(story, 2)
    make_faq(story, 1)
    make_related(story, 4407, note="Its successor")
    KnownUse.objects.create(
        story=story,
        kind="malware",
        name="A backdoor",
        description="Reported by scanners.",
        source_title="A malware database",
        source_url="https://example.org/backdoor",
        position=1,
    )
    edna = make_user("edna", role="Editor", password=PASSWORD)
    # A kept autosave to offer back, and a colleague with the story open.
    autosave.story_autosave(
        story=story,
        by=edna,
        data=[["title_en", "A story with everything, retitled"]],
        base_version=story.version,
    )
    presence.story_presence_ping(story_id=story.pk, user=make_user("otto"))
    log_in(page, live_server.url, "edna")
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
    for part in (
        "#citations-group",
        "#faqs-group",
        "#related_ports-group",
        "#known_uses-group",
        "#autosave-notice",
        "#presence .presence-others",
    ):
        page.locator(part).wait_for()
    expect(page.locator("#presence")).to_contain_text("Also open by otto")
    screenshot(page, "change-form")
    violations = axe(page)
    assert violations == [], "\n".join(violations)


def test_the_publish_step(live_server, page, axe, screenshot):
    story = story_in_review(4408, title="Ready to publish")
    make_user("rita", role="Reviewer", password=PASSWORD)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/workflow/publish/")
    page.locator("input[name=_step]").wait_for()
    screenshot(page, "publish-step")
    violations = axe(page)
    assert violations == [], "\n".join(violations)


def test_the_import_preview(live_server, page, axe, screenshot, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    upload = tmp_path / "service-names-port-numbers.csv"
    upload.write_bytes(
        registry_csv(
            ["http", "80", "tcp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
            ["x11", "6000-6063", "tcp", "X Window System", "[Stephen_Gildea]"],
        )
    )
    make_user("rhea", role="Registry manager", password=PASSWORD)
    log_in(page, live_server.url, "rhea")
    page.goto(f"{live_server.url}/admin/ports/assignment/")
    page.click("a.import_link")
    page.set_input_files("#id_import_file", str(upload))
    page.click("#upload-registry input[type=submit]")
    page.locator("#confirm-import input[type=submit]").wait_for()
    screenshot(page, "import-preview")
    violations = axe(page)
    assert violations == [], "\n".join(violations)


def test_the_translation_completeness_page(live_server, page, axe, screenshot):
    story = make_story(
        4406,
        title="Half translated",
        title_ja="半分だけ翻訳",
        summary_ja="要約。",
        body_ja="本文。[^1]",
    )
    make_citation(story)
    actions.story_publish(story=story, by=None)
    story.title_en = "Half translated, and retitled since"
    story.save()
    make_user("edna", role="Editor", password=PASSWORD)
    log_in(page, live_server.url, "edna")
    page.goto(f"{live_server.url}/admin/translations/")
    assert page.locator("td.missing").count() and page.locator("td.outdated").count()
    screenshot(page, "translations")
    violations = axe(page)
    assert violations == [], "\n".join(violations)
