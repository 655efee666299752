"""A reader learns when the translation they read is older than the English."""

import pytest
from django.test import Client

from ports.editorial import actions
from tests.factories import make_citation, make_story

pytestmark = pytest.mark.django_db

NOTE = 'class="outdated-note"'


def translated_story(number):
    story = make_story(
        number,
        title="Port story",
        body="English body.[^1]",
        title_ja="ポートの話",
        summary_ja="要約。",
        body_ja="日本語の本文。[^1]",
    )
    make_citation(story)
    return actions.story_publish(story=story, by=None)


def page(path):
    return Client().get(path).content.decode()


def test_a_translation_older_than_the_english_says_so_and_links_to_it():
    story = translated_story(4700)
    translated_at = story.translation_edited_at["body_ja"]
    story.body_en = "English body, corrected.[^1]"
    story.save()
    actions.story_publish(story=story, by=None)

    html = page("/ja/ports/4700/")
    assert NOTE in html
    assert f'datetime="{translated_at[:19]}' in html
    assert "その後、英語版が更新されています。" in html
    assert '<a href="/ports/4700/" hreflang="en">英語版を読む</a>' in html
    # English readers read the newest text: nothing to say.
    assert NOTE not in page("/ports/4700/")


def test_a_current_translation_says_nothing():
    translated_story(4701)
    html = page("/ja/ports/4701/")
    assert "日本語の本文" in html and NOTE not in html


def test_the_note_follows_the_live_version_not_the_draft():
    story = translated_story(4702)
    story.body_en = "A draft of new English.[^1]"
    story.save()
    actions.story_record_save(story=story, by=None)
    assert NOTE not in page("/ja/ports/4702/")


def test_an_untranslated_story_gets_the_untranslated_note_only():
    story = make_story(4703, title="Only English")
    make_citation(story)
    actions.story_publish(story=story, by=None)
    html = page("/ja/ports/4703/")
    assert NOTE not in html
    assert "untranslated-note" in html


def test_saving_unchanged_content_over_an_older_live_version_keeps_it_published():
    story = translated_story(4704)
    live = story.live_revision
    # A version saved before edit times and known uses were kept.
    del live.content["edited_at"]
    del live.content["known_uses"]
    live.save()
    actions.story_record_save(story=story, by=None)
    story.refresh_from_db()
    assert story.status == "published"


def test_reverting_to_a_version_whose_translation_was_current_keeps_it_current():
    story = translated_story(4705)
    current = story.live_revision
    story.body_en = "English body, rewritten.[^1]"
    story.save()
    actions.story_publish(story=story, by=None)
    assert NOTE in page("/ja/ports/4705/")

    actions.story_revert(story=story, revision=current, by=None)
    story.refresh_from_db()
    actions.story_publish(story=story, by=None)
    html = page("/ja/ports/4705/")
    assert "日本語の本文" in html and NOTE not in html


def test_reverting_to_a_version_without_edit_times_counts_as_an_edit_now():
    story = translated_story(4706)
    old = story.live_revision
    del old.content["edited_at"]
    old.save()
    story.body_en = "English body, rewritten.[^1]"
    story.save()
    edited = story.translation_edited_at["body_en"]

    actions.story_revert(story=story, revision=old, by=None)
    story.refresh_from_db()
    assert story.body_en == "English body.[^1]"
    assert story.translation_edited_at["body_en"] > edited
