"""Which translations are missing or out of date, and the admin page listing them."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from ports import languages
from ports.admin.translations import story_gaps
from ports.editorial import translations
from ports.models import FAQ, FeedbackPrompt, Story
from tests.factories import make_faq, make_related, make_story, make_user


@pytest.fixture
def editor_client(client, db):
    client.force_login(make_user("editor", role="Editor"))
    return client


def translate(obj, language, **values):
    with translation.override(language):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()


def cell(html, row_text, language):
    row = html.split(row_text)[1].split("</tr>")[0]
    return re.search(
        rf'<td class="\w+" data-language="{language}"[^>]*>(.*?)</td>', row
    )


# Recording when each language was edited ----------------------------------------


def test_a_new_story_stamps_each_filled_field(db):
    story = make_story(5001, title="T", summary="", body="B")
    stamps = story.translation_edited_at
    assert set(stamps) == {"title_en", "body_en"}
    assert stamps["title_en"] == stamps["body_en"]


def test_saving_stamps_only_the_fields_that_changed(db):
    story = make_story(5002)
    first = dict(Story.objects.get(pk=story.pk).translation_edited_at)
    loaded = Story.objects.get(pk=story.pk)
    translate(loaded, "fr", title="Titre")
    stamps = Story.objects.get(pk=story.pk).translation_edited_at
    assert set(stamps) == set(first) | {"title_fr"}
    assert stamps["title_en"] == first["title_en"]
    # Saving unchanged text records nothing new.
    again = Story.objects.get(pk=story.pk)
    again.save()
    assert Story.objects.get(pk=story.pk).translation_edited_at == stamps


def test_update_fields_saves_keep_the_stamps(db):
    story = Story.objects.get(pk=make_story(5003).pk)
    story.body_de = "Text"
    story.save(update_fields=["body_de"])
    assert "body_de" in Story.objects.get(pk=story.pk).translation_edited_at


def test_saving_an_object_built_by_hand_compares_with_its_row(db):
    story = make_story(5004, body="Old")
    row = Story.objects.get(pk=story.pk)
    before = row.translation_edited_at
    # A copy built from the row's values, as a deserializer builds one: not
    # loaded, so what it held before is read from the database on save.
    fresh = Story(**{f.attname: getattr(row, f.attname) for f in row._meta.fields})
    fresh._state.adding = False
    fresh.body_en = "New"
    fresh.save()
    stamps = Story.objects.get(pk=story.pk).translation_edited_at
    assert stamps["body_en"] != before["body_en"]  # the body changed
    assert stamps["title_en"] == before["title_en"]  # the title did not


# Gaps ----------------------------------------------------------------------------


def test_missing_languages_are_those_without_the_english_fields(db):
    story = make_story(5010, title="T", summary="S", body="B")
    translate(story, "ja", title="題", summary="概要", body="本文")
    translate(story, "de", title="Titel")
    gaps = translations.translation_gaps(Story.objects.get(pk=story.pk))
    assert not gaps["ja"]
    assert gaps["de"].missing == ["summary", "body"]
    assert gaps["fr"].missing == ["title", "summary", "body"]
    assert set(gaps) == set(languages.translation_languages())


def test_an_english_edit_after_the_translation_makes_it_out_of_date(db):
    story = make_story(5011, title="T", summary="S", body="Old body")
    translate(story, "ja", title="題", summary="概要", body="古い本文")
    story = Story.objects.get(pk=story.pk)
    loaded = translations.localized_values(story)
    # The English body changes later.
    later = timezone.now() + datetime.timedelta(minutes=5)
    story.body_en = "New body"
    translations.stamp_translation_edits(story, previous=loaded, now=later)
    Story.objects.filter(pk=story.pk).update(
        body_en="New body", translation_edited_at=story.translation_edited_at
    )
    gaps = translations.translation_gaps(Story.objects.get(pk=story.pk))
    assert gaps["ja"].outdated == ["body"]
    assert gaps["ja"].missing == []
    # The translator updates the Japanese body: up to date again.
    story = Story.objects.get(pk=story.pk)
    loaded = translations.localized_values(story)
    with translation.override("ja"):
        story.body = "新しい本文"
    translations.stamp_translation_edits(
        story, previous=loaded, now=later + datetime.timedelta(minutes=1)
    )
    assert not translations.translation_gaps(story)["ja"]


def test_translations_older_than_recorded_edits_count_as_out_of_date(db):
    story = make_story(5012, title="T", summary="", body="B")
    # A translation from before edit times were kept: no stamp of its own.
    Story.objects.filter(pk=story.pk).update(body_fr="Corps")
    gaps = translations.translation_gaps(Story.objects.get(pk=story.pk))
    assert gaps["fr"].outdated == ["body"]


def test_story_gaps_include_faqs_and_related_notes(db):
    story = make_story(5013, title="T", summary="", body="B")
    make_faq(story, question="Q?", answer="A.")
    make_related(story, 5014, note="Note")
    for code in languages.translation_languages():
        translate(story, code, title="x", body="y")
    translate(story.faqs.get(), "ja", question="問？")
    gaps = story_gaps(
        Story.objects.prefetch_related("faqs", "related_ports").get(pk=story.pk)
    )
    assert gaps["ja"].missing == ["FAQ 1: answer", "related port 5014: note"]
    assert gaps["de"].missing == [
        "FAQ 1: question",
        "FAQ 1: answer",
        "related port 5014: note",
    ]


# The admin page -----------------------------------------------------------------


def test_completeness_page_flags_a_changed_english_body(editor_client):
    story = make_story(5020, title="Port 5020 story", summary="", body="Old")
    for code in languages.translation_languages():
        translate(story, code, title=f"title {code}", body=f"body {code}")
    html = editor_client.get("/admin/translations/").content.decode()
    assert cell(html, "Port 5020 story", "fr")[0].count('data-state="complete"') == 1
    # The English body is edited later through the admin's save path.
    story = Story.objects.get(pk=story.pk)
    Story.objects.filter(pk=story.pk).update(
        translation_edited_at=dict.fromkeys(
            story.translation_edited_at, "2020-01-01T00:00:00+00:00"
        )
    )
    story = Story.objects.get(pk=story.pk)
    story.body_en = "New English body"
    story.save()
    html = editor_client.get("/admin/translations/").content.decode()
    for code in languages.translation_languages():
        found = cell(html, "Port 5020 story", code)
        assert 'data-state="outdated"' in found[0], code
        assert "body" in found[1] and "title" not in found[1]


def test_completeness_page_lists_missing_languages_and_the_prompt(editor_client):
    call_command("load_demo", verbosity=0)
    html = editor_client.get("/admin/translations/").content.decode()
    # The demo prompt is translated into every language.
    prompt_row = html.split(">default</a>")[1].split("</tr>")[0]
    assert prompt_row.count('data-state="complete"') == 13
    # Story 373 has a Japanese title but no Japanese summary or body.
    ja = cell(html, "Port 373: legent-1", "ja")
    assert 'data-state="missing"' in ja[0]
    assert "summary" in ja[1] and "body" in ja[1] and "title" not in ja[1]
    assert "only stories with gaps" in html.lower()
    # Nothing of it is in German: said once, not field by field.
    de = cell(html, "Port 373: legent-1", "de")
    assert "not translated" in de[1] and "summary" not in de[1]


def test_the_prompt_is_flagged_when_its_english_changes(editor_client):
    call_command("load_demo", verbosity=0)
    prompt = FeedbackPrompt.objects.get()
    prompt.thanks_en = "Thanks a lot."
    prompt.save()
    html = editor_client.get("/admin/translations/").content.decode()
    prompt_row = html.split(">default</a>")[1].split("</tr>")[0]
    assert prompt_row.count('data-state="outdated"') == 13
    assert "thank-you text" in prompt_row


def test_completeness_page_needs_the_story_change_permission(client, db):
    client.force_login(make_user("registry", role="Registry manager"))
    assert client.get("/admin/translations/").status_code == 403
    client.logout()
    assert client.get("/admin/translations/").status_code == 302  # to the login


def test_story_admin_edits_translations_with_a_language_switch(editor_client):
    story = make_story(5030)
    make_faq(story)
    make_related(story, 5031, note="n")
    html = editor_client.get(f"/admin/ports/story/{story.pk}/change/").content.decode()
    assert "js/language-switch.js" in html
    assert '<option value="id">ID · Indonesian</option>' in html
    assert "tabbed_translation_fields.js" not in html
    for name in ("title", "summary", "body"):
        for code in ("en", "ja", "ps", "pt_br", "zh_hans", "ind"):
            assert f'name="{name}_{code}"' in html
    assert 'name="faqs-0-question_ja"' in html
    assert 'name="related_ports-0-note_ar"' in html
    # Each translated field says its language, for the switch.
    assert re.search(r'<textarea name="body_ja"[^>]*data-language="ja"', html)
    assert re.search(r'<input [^>]*name="related_ports-0-note_ar"[^>]*"ar"', html)


def test_saving_a_translation_in_the_admin_records_its_edit_time(editor_client):
    from tests.factories import admin_form_data

    story = make_story(5040)
    url = f"/admin/ports/story/{story.pk}/change/"
    data = admin_form_data(editor_client.get(url))
    data["body_ru"] = "Текст"
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    stamps = Story.objects.get(pk=story.pk).translation_edited_at
    assert "body_ru" in stamps and "body_de" not in stamps
    faq_stamps = FAQ.objects.filter(story=story).values_list(
        "translation_edited_at", flat=True
    )
    assert list(faq_stamps) == []
