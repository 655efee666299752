import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.editorial.diffs import revision_diff, word_diff
from ports.editorial.revisions import story_snapshot
from ports.models import StoryTransition
from tests.factories import (
    admin_form_data,
    make_citation,
    make_faq,
    make_related,
    make_story,
    make_user,
)


def test_word_diff_marks_changed_words_only():
    html = word_diff("The quick brown fox", "The slow brown fox jumps")
    assert html == "The <del>quick</del><ins>slow</ins> brown fox<ins> jumps</ins>"


def test_word_diff_escapes_both_sides():
    html = word_diff("<b>old</b>", '<script>alert("x")</script>')
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;old&lt;/b&gt;" in html


def test_revision_diff_covers_every_part_per_language():
    old = {
        "title": {"en": "Port 80", "de": "Port 80"},
        "summary": {"en": "Web."},
        "body": {"en": "HTTP runs here.[^1]"},
        "citations": [
            {"number": 1, "title": "RFC 2616", "publisher": "", "url": "",
             "accessed_on": "", "note": ""},
        ],
        "faqs": [{"question": {"en": "Why 80?"}, "answer": {"en": "History."}}],
        "related": [{"port": 443, "note": {"en": "TLS"}}],
    }  # fmt: skip
    new = {
        **old,
        "title": {"en": "Port 80", "de": "Port 80: Web"},
        "body": {"en": "HTTP/1.1 runs here.[^1]"},
        "citations": [{**old["citations"][0], "title": "RFC 9110"}],
        "related": [],
    }
    diffs = {d.label: d for d in revision_diff(old, new)}
    assert not diffs["Title (English)"].changed
    assert diffs["Title (German)"].html == "Port <del>80</del><ins>80: Web</ins>"
    assert diffs["Body (English)"].html == (
        "<del>HTTP</del><ins>HTTP/1.1</ins> runs here.[^1]"
    )
    assert "<del>2616</del><ins>9110</ins>" in diffs["Citations"].html
    assert diffs["Related ports"].html == "<del>Port 443 [en] TLS</del>"
    assert not diffs["FAQs (English)"].changed
    assert "Title (Japanese)" not in diffs  # no text in either revision


@pytest.mark.django_db
def test_revert_restores_text_and_parts_as_a_new_draft_and_keeps_the_live_page():
    editor = make_user("edna", role="Editor")
    story = make_story(8000, title="First title", body="One.[^1]")
    story.title_de = "Erster Titel"
    story.save()
    make_citation(story, 1, title="Original source")
    make_faq(story, 1, question="First question?")
    make_related(story, 22, note="ssh")
    actions.story_publish(story=story, by=None)
    story.refresh_from_db()
    first = story.live_revision

    story.title_en, story.title_de, story.body_en = "Second title", "", "Two.[^1][^2]"
    story.save()
    story.citations.update(title="Replaced source")
    make_citation(story, 2)
    story.faqs.all().delete()
    story.related_ports.all().delete()
    second = actions.story_record_save(story=story, by=editor)

    actions.story_revert(story=story, revision=first, by=editor)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert (story.title_en, story.title_de, story.body_en) == (
        "First title",
        "Erster Titel",
        "One.[^1]",
    )
    assert [(c.position, c.title) for c in story.citations.all()] == [
        (1, "Original source")
    ]
    assert [f.question_en for f in story.faqs.all()] == ["First question?"]
    assert [(r.port_id, r.note_en) for r in story.related_ports.all()] == [(22, "ssh")]
    assert story.live_revision == first  # readers are unaffected
    newest = story.revisions.first()
    assert newest not in (first, second) and newest.author == editor

    # The same content, edit times included: restored text keeps its own.
    assert newest.content == first.content
    assert story_snapshot(story) == first.content
    step = story.transitions.first()
    assert step.action == StoryTransition.Action.REVERT
    assert step.from_status == StoryStatus.DRAFT and step.revision == newest
    assert f"#{first.pk}" in step.comment


@pytest.mark.django_db
def test_revert_refuses_a_revision_of_another_story():
    editor = make_user("edna", role="Editor")
    story, other = make_story(8001), make_story(8002)
    foreign = actions.story_save_revision(story=other, by=None)
    with pytest.raises(Exception, match="belongs to another story"):
        actions.story_revert(story=story, revision=foreign, by=editor)


@pytest.mark.django_db
def test_history_compare_and_revert_in_the_admin(client):
    editor = make_user("edna", role="Editor")
    story = make_story(8003, title="Alpha", body="Words stay.[^1]")
    make_citation(story)
    client.force_login(editor)
    change = reverse("admin:ports_story_change", args=[story.pk])
    for title in ("Beta", "Gamma <b>bold</b>"):
        data = admin_form_data(client.get(change))
        data["title_en"] = title
        assert client.post(change, data).status_code == 302
    older, newer = list(story.revisions.order_by("created_at", "id"))
    assert older.author == newer.author == editor

    history = client.get(reverse("admin:ports_story_revisions", args=[story.pk]))
    assert history.status_code == 200
    html = history.content.decode()
    assert f'value="{older.pk}"' in html and "Revert to this revision" in html

    compare = client.get(
        reverse("admin:ports_story_compare", args=[story.pk]),
        {"from": newer.pk, "to": older.pk},  # either order reads oldest → newest
    )
    diff = compare.context["changed"][0]
    assert diff.label == "Title (English)"
    assert diff.html == "<del>Beta</del><ins>Gamma &lt;b&gt;bold&lt;/b&gt;</ins>"
    assert "<ins>Gamma &lt;b&gt;bold&lt;/b&gt;</ins>" in compare.content.decode()
    missing = client.get(
        reverse("admin:ports_story_compare", args=[story.pk]), {"from": 1}
    )
    assert missing.status_code == 404

    revert = reverse("admin:ports_story_revert", args=[story.pk, older.pk])
    confirm = client.get(revert)
    assert (
        confirm.status_code == 200 and story.revisions.count() == 2
    )  # GET changes nothing
    assert client.post(revert).status_code == 302
    story.refresh_from_db()
    assert story.title_en == "Beta" and story.revisions.count() == 3


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_revert_message_names_the_revision_in_the_admin_date_format(client):
    editor = make_user("edna", role="Editor")
    story = make_story(8004, title="Alpha")
    revision = actions.story_save_revision(story=story, by=editor)
    revision.created_at = datetime.datetime(2026, 1, 15, 12, 30, tzinfo=datetime.UTC)
    revision.save(update_fields=["created_at"])
    client.force_login(editor)
    response = client.post(
        reverse("admin:ports_story_revert", args=[story.pk, revision.pk]), follow=True
    )
    # Berlin's local time, as the admin writes dates everywhere else.
    assert [str(message) for message in response.context["messages"]] == [
        "Reverted to the revision of Jan. 15, 2026, 1:30 p.m.: it is a new draft, "
        "and what readers see has not changed."
    ]
