"""
The story change form as an editor uses it: one language at a time, a live
preview beside the form, autosave and restore, and who else has it open.
SCREENSHOTS=1 keeps a PNG of each in test-artifacts/.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_editorial_flow import PASSWORD, log_in, open_change_form
from tests.factories import make_faq, make_related, make_story, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def visible_translated_fields(page):
    """The name of every translated field the editor can see."""
    return page.eval_on_selector_all(
        "#story_form [data-language]",
        "fields => fields.filter(f => f.offsetParent !== null).map(f => f.name)",
    )


def test_the_language_switch_shows_every_field_of_one_language(
    page, live_server, screenshot
):
    story = make_story(4401, title="Port 4401", title_ja="ポート4401")
    make_faq(story, question="Why?", question_ja="なぜ？")
    make_related(story, 4402, note="Its neighbour")
    open_change_form(page, live_server, story)

    switch = page.get_by_label("Language being edited")
    assert switch.input_value() == "en"
    option_labels = switch.locator("option").all_inner_texts()
    assert len(option_labels) == 14
    assert "ID · Indonesian" in option_labels
    assert "PT-BR · Brazilian Portuguese" in option_labels
    assert not [label for label in option_labels if "IND" in label]
    assert sorted(visible_translated_fields(page)) == sorted(
        [
            "title_en",
            "summary_en",
            "body_en",
            "faqs-0-question_en",
            "faqs-0-answer_en",
            "related_ports-0-note_en",
        ]
    )
    assert page.locator("label[for=id_title_en]").inner_text() == "Title [EN]:"

    # The keyboard picks Japanese: every Japanese field shows, English hides.
    switch.focus()
    page.keyboard.press("ArrowDown")
    assert switch.input_value() == "ja"
    assert sorted(visible_translated_fields(page)) == sorted(
        [
            "title_ja",
            "summary_ja",
            "body_ja",
            "faqs-0-question_ja",
            "faqs-0-answer_ja",
            "related_ports-0-note_ja",
        ]
    )
    assert page.input_value("#id_title_ja") == "ポート4401"
    assert page.locator(".ui-tabs-nav").count() == 0

    # A FAQ added now shows its Japanese fields only.
    page.click("#faqs-group .add-row a")
    assert page.locator("#id_faqs-1-question_ja").is_visible()
    assert page.locator("#id_faqs-1-question_en").is_hidden()
    page.fill("#id_faqs-1-question_ja", "どこで？")

    # The body is a tall, monospace area the editor can make taller.
    body = page.locator("#id_body_ja")
    style = body.evaluate(
        "b => [getComputedStyle(b).fontFamily, getComputedStyle(b).resize,"
        " b.getBoundingClientRect().height]"
    )
    assert "monospace" in style[0]
    assert style[1] == "vertical"
    assert style[2] > 400
    screenshot(page, "japanese")

    # The choice is remembered on the next visit; hidden text is still saved.
    page.reload()
    assert page.get_by_label("Language being edited").input_value() == "ja"
    assert page.locator("#id_title_en").is_hidden()
    page.get_by_label("Language being edited").select_option("id")
    assert page.locator("label[for=id_title_ind]").inner_text() == "Title [ID]:"
    page.fill("#id_title_ind", "Porta 4401")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    story.refresh_from_db()
    assert (story.title_en, story.title_ja, story.title_ind) == (
        "Port 4401",
        "ポート4401",
        "Porta 4401",
    )


def test_the_switch_goes_to_the_language_with_an_error(page, live_server):
    story = make_story(4403)
    open_change_form(page, live_server, story)
    page.get_by_label("Language being edited").select_option("ja")
    # The English title is required: emptied, the form comes back refused.
    page.evaluate("document.getElementById('id_title_en').value = ''")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    switch = page.get_by_label("Language being edited")
    assert switch.input_value() == "en"
    assert "EN · English (has errors)" in switch.locator("option").all_inner_texts()
    assert page.locator("#id_title_en").is_visible()


def test_the_feedback_prompt_uses_the_same_switch(page, live_server):
    from ports.models import FeedbackPrompt

    prompt, _created = FeedbackPrompt.objects.get_or_create(
        key="default",
        defaults={"question": "Helpful?", "yes_label": "Yes", "no_label": "No"},
    )
    make_user("root", password=PASSWORD, is_superuser=True)
    log_in(page, live_server.url, "root")
    page.goto(f"{live_server.url}/admin/ports/feedbackprompt/{prompt.pk}/change/")
    page.get_by_label("Language being edited").select_option("zh-hans")
    assert page.locator("#id_question_zh_hans").is_visible()
    assert page.locator("#id_question_en").is_hidden()
    assert page.locator("label[for=id_question_zh_hans]").inner_text() == (
        "Question [ZH-HANS]:"
    )


def test_the_live_preview_follows_the_editor_without_saving(
    page, live_server, screenshot
):
    from ports.models import StoryRevision
    from tests.browser.test_csp import watch

    story = make_story(4404, title="Port 4404 as saved", body="Saved body.")
    problems = watch(page)
    open_change_form(page, live_server, story)
    preview = page.frame_locator("#live-preview iframe.shown")
    expect(preview.locator("h1")).to_have_text("Port 4404 as saved")
    expect(preview.locator(".preview-banner")).to_contain_text("unsaved changes")

    # Typed, not saved: the preview shows it after a pause.
    page.fill("#id_title_en", "Port 4404 as typed")
    page.locator("#id_body_en").press_sequentially("\n\n## Typed heading\n\nNew.")
    expect(preview.locator("h1")).to_have_text("Port 4404 as typed")
    expect(preview.locator("h2", has_text="Typed heading")).to_be_visible()
    screenshot(page, "preview")

    # Another language: the preview follows the switch.
    page.get_by_label("Language being edited").select_option("ja")
    expect(page.locator(".live-preview-language")).to_have_text("(JA)")
    expect(preview.locator("html")).to_have_attribute("lang", "ja")
    page.fill("#id_title_ja", "ポート4404")
    expect(preview.locator("h1")).to_have_text("ポート4404")
    # Previews are frames swapped in place, not pages in the tab's history.
    assert page.locator("#live-preview iframe").count() == 1
    screenshot(page, "preview-japanese")

    story.refresh_from_db()
    assert (story.title_en, story.title_ja, story.version) == (
        "Port 4404 as saved",
        None,
        1,
    )
    assert not StoryRevision.objects.filter(story=story).exists()
    assert problems == []


def test_the_live_preview_says_when_it_could_not_be_made(page, live_server):
    from ports.choices import StoryStatus
    from ports.models import Story

    story = make_story(4408, title="Port 4408 as saved")
    open_change_form(page, live_server, story)
    status = page.locator(".live-preview-status")
    expect(status).to_have_text("Up to date")

    # Submitted for review elsewhere: the editor may no longer preview edits.
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.IN_REVIEW)
    page.fill("#id_title_en", "Port 4408 as typed")
    expect(status).to_have_text("Preview unavailable")


def autosaved(page):
    expect(page.locator("#autosave-status")).to_contain_text(
        "Unsaved changes kept at", timeout=15_000
    )


def test_autosave_restores_unsaved_work_after_the_tab_closed(
    page, live_server, screenshot
):
    from ports.models import StoryAutosave, StoryRevision

    story = make_story(4405, title="Port 4405 as saved")
    open_change_form(page, live_server, story)
    page.fill("#id_title_en", "Port 4405 as typed")
    page.click("#faqs-group .add-row a")
    page.fill("#id_faqs-0-question_en", "A question typed before the crash?")
    page.fill("#id_faqs-0-answer_en", "An answer.")
    autosaved(page)
    assert not StoryRevision.objects.filter(story=story).exists()
    context = page.context
    page.close()

    page = context.new_page()
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
    assert page.input_value("#id_title_en") == "Port 4405 as saved"
    notice = page.locator("#autosave-notice")
    assert "Your unsaved changes to this story from" in notice.inner_text()
    screenshot(page, "autosave-notice")
    notice.get_by_role("button", name=re.compile("^Restore unsaved changes")).click()
    expect(page.locator("#id_title_en")).to_have_value("Port 4405 as typed")
    assert page.input_value("#id_faqs-0-question_en") == (
        "A question typed before the crash?"
    )
    assert page.locator("#autosave-notice").count() == 0
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    story.refresh_from_db()
    assert story.title_en == "Port 4405 as typed"
    assert story.faqs.get().question_en == "A question typed before the crash?"
    assert StoryRevision.objects.filter(story=story).count() == 1
    assert not StoryAutosave.objects.exists()


def test_typing_is_kept_when_the_tab_closes_before_the_next_autosave(page, live_server):
    from ports.models import StoryAutosave

    story = make_story(4409, title="Port 4409 as saved")
    open_change_form(page, live_server, story)
    page.fill("#id_title_en", "Port 4409 typed just before closing")
    context = page.context
    page.close()  # at once: the five seconds to the next autosave never pass
    # The browser's last word arrives on its own time.
    for _wait in range(50):
        if StoryAutosave.objects.exists():
            break
        time.sleep(0.1)

    page = context.new_page()
    page.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
    notice = page.locator("#autosave-notice")
    notice.get_by_role("button", name=re.compile("^Restore unsaved changes")).click()
    expect(page.locator("#id_title_en")).to_have_value(
        "Port 4409 typed just before closing"
    )
    assert StoryAutosave.objects.get().base_version == 1


def test_restored_work_never_overwrites_a_save_made_meanwhile(
    page, live_server, screenshot
):
    from django.test import Client

    from tests.factories import admin_form_data

    story = make_story(4406, title="Port 4406 as saved")
    open_change_form(page, live_server, story)
    page.fill("#id_title_en", "Edna's title")
    autosaved(page)
    page.goto(f"{live_server.url}/admin/")

    # Otto saves the story while Edna is away.
    otto = Client()
    otto.force_login(make_user("otto", role="Editor"))
    url = f"/admin/ports/story/{story.pk}/change/"
    data = admin_form_data(otto.get(url))
    assert otto.post(url, {**data, "title_en": "Otto's title"}).status_code == 302

    page.goto(f"{live_server.url}{url}")
    notice = page.locator("#autosave-notice")
    assert "the story has been saved since (it is at version 2)" in notice.inner_text()
    notice.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page.locator("#id_title_en")).to_have_value("Edna's title")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    assert "otto saved this story at" in page.inner_text("#content-main")
    screenshot(page, "autosave-conflict")
    story.refresh_from_db()
    assert (story.title_en, story.version) == ("Otto's title", 2)


def test_presence_shows_who_else_is_editing_and_warns_of_their_save(
    browser, page, live_server, screenshot
):
    story = make_story(4407, title="Port 4407 as saved")
    make_user("otto", role="Editor", password=PASSWORD)
    # The editor's clock is Playwright's, so twenty seconds pass at once.
    page.clock.install()
    with page.expect_response(re.compile(r"/presence/$")):
        open_change_form(page, live_server, story)
    presence = page.locator("#presence")
    expect(presence).to_be_hidden()

    otto_context = browser.new_context()
    otto = otto_context.new_page()
    log_in(otto, live_server.url, "otto")
    otto.goto(f"{live_server.url}/admin/ports/story/{story.pk}/change/")
    expect(otto.locator("#presence .presence-others")).to_have_text(
        re.compile(r"^Also open by edna since \d\d:\d\d\.$")
    )

    # The next ping tells the editor, without a reload.
    page.clock.fast_forward(20_000)
    expect(presence).to_contain_text(re.compile(r"Also open by otto since \d\d:\d\d"))
    screenshot(page, "presence")

    # Otto saves; the editor is warned before saving anything.
    otto.fill("#id_title_en", "Otto's title")
    # The saved form pings as it opens again: that ping must land before his
    # leaving does, or it would count him present again.
    with otto.expect_response(re.compile(r"/presence/$")):
        otto.click("input[name=_continue]")
        otto.wait_for_selector(".messagelist .success")
    page.fill("#id_title_en", "Edna's title")
    page.clock.fast_forward(20_000)
    expect(presence.locator(".presence-saved")).to_contain_text(
        re.compile(r"^otto saved this story at \d\d:\d\d, after this form was opened")
    )
    screenshot(page, "presence-saved")

    # Otto leaves the story: at the editor's next ping, he is gone.
    otto.goto(f"{live_server.url}/admin/")
    others = presence.locator(".presence-others")
    for _ping in range(20):
        page.clock.fast_forward(20_000)
        page.wait_for_timeout(250)
        if others.is_hidden():
            break
    otto_context.close()
    expect(presence.locator(".presence-others")).to_be_hidden()
    expect(presence.locator(".presence-saved")).to_be_visible()
    story.refresh_from_db()
    assert story.title_en == "Otto's title"
