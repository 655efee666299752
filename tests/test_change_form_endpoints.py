"""
The story change form's background requests: the live preview of unsaved
data, autosave and restore, and who else has the form open.
"""

import datetime
import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ports.choices import StoryStatus
from ports.models import Port, Story, StoryAutosave, StoryRevision
from tests.factories import admin_form_data, make_faq, make_story, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def editor(client):
    client.force_login(make_user("edna", role="Editor"))
    return client


def change_url(story):
    return reverse("admin:ports_story_change", args=[story.pk])


def form_data(client, story, **changes):
    """The change form's data as the browser would send it, with `changes`."""
    data = admin_form_data(client.get(change_url(story)))
    data.update(changes)
    return data


# Live preview -----------------------------------------------------------------


def preview_url(story, language=None):
    url = reverse("admin:ports_story_live_preview", args=[story.pk])
    return f"{url}?language={language}" if language else url


def test_the_preview_shows_the_unsaved_form_and_saves_nothing(editor):
    story = make_story(4501, title="As saved", body="Saved body.")
    make_faq(story, question="A saved question?")
    data = form_data(
        editor,
        story,
        title_en="As typed",
        body_en="## Typed heading\n\nTyped body.",
        **{"faqs-0-question_en": "A typed question?"},
    )
    response = editor.post(preview_url(story), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r"<h1[^>]*>As typed</h1>", page)
    assert "Typed heading" in page and "Saved body." not in page
    assert "A typed question?" in page
    assert "Draft with unsaved changes, version 1." in page
    story.refresh_from_db()
    assert (story.title_en, story.body_en, story.version) == (
        "As saved",
        "Saved body.",
        1,
    )
    assert story.faqs.get().question_en == "A saved question?"
    assert not StoryRevision.objects.filter(story=story).exists()


def test_the_preview_is_in_the_language_being_edited(editor):
    story = make_story(4502, title="English title", title_ja="日本語の題")
    data = form_data(editor, story, summary_ja="日本語の要約")
    page = editor.post(preview_url(story, "ja"), data).content.decode()
    assert '<html lang="ja"' in page
    assert "日本語の題" in page and "日本語の要約" in page
    # An unknown language is English, as readers without a prefix get.
    page = editor.post(preview_url(story, "xx"), data).content.decode()
    assert '<html lang="en"' in page and "English title" in page


def test_the_preview_writes_no_row_for_a_port_typed_in_the_form(editor):
    story = make_story(4503)
    data = form_data(
        editor,
        story,
        **{
            "related_ports-TOTAL_FORMS": "1",
            "related_ports-0-port": "4999",
            "related_ports-0-note_en": "A neighbour",
            "related_ports-0-position": "0",
        },
    )
    response = editor.post(preview_url(story), data)
    assert response.status_code == 200
    assert "A neighbour" in response.content.decode()
    assert not Port.objects.filter(number=4999).exists()


def test_the_preview_does_not_insert_a_port_row_even_to_roll_it_back(editor):
    # An insert would wait for, or collide with, a save adding the same port.
    story = make_story(4504)
    data = form_data(
        editor,
        story,
        **{
            "related_ports-TOTAL_FORMS": "2",
            "related_ports-0-port": "4998",
            "related_ports-0-note_en": "A new neighbour",
            "related_ports-0-position": "0",
            "related_ports-1-port": "4504",
            "related_ports-1-note_en": "Itself, a row already",
            "related_ports-1-position": "1",
        },
    )
    with CaptureQueriesContext(connection) as queries:
        response = editor.post(preview_url(story), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A new neighbour" in page and "Itself, a row already" in page
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert not [sql for sql in writes if "ports_port" in sql], writes
    # Saving the form still makes the new port's row.
    assert editor.post(change_url(story), data).status_code == 302
    assert Port.objects.filter(number=4998).exists()


def test_the_preview_names_fields_shown_as_saved_until_corrected(editor):
    story = make_story(4504, title="As saved")
    page = editor.post(
        preview_url(story), form_data(editor, story, title_en="x" * 250)
    ).content.decode()
    assert re.search(r"<h1[^>]*>As saved</h1>", page)
    listed = re.search(
        r'<ul class="preview-removed not-previewed"[^>]*>(.*?)</ul>', page
    )
    assert re.findall(r"<li>(.*?)</li>", listed[1]) == ["Title [EN]"]


def test_the_preview_may_be_framed_by_the_admin_only(editor):
    story = make_story(4505)
    response = editor.post(preview_url(story), form_data(editor, story))
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    # The site's policy, but for who may frame it.
    assert "frame-ancestors 'self'" in policy
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert response["Cache-Control"].startswith("max-age=0, no-cache")
    # The change form itself is still framed by nobody.
    form = editor.get(change_url(story))
    assert form["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in form["Content-Security-Policy"]
    assert f'data-url="{preview_url(story)}"' in form.content.decode()


def test_the_preview_refuses_those_who_may_not_edit_the_story(client, editor):
    story = make_story(4506)
    data = form_data(editor, story)
    assert editor.get(preview_url(story)).status_code == 405
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.IN_REVIEW)
    # In review, a story is the reviewers' to correct, not the editors'.
    assert editor.post(preview_url(story), data).status_code == 403
    client.force_login(make_user("reg", role="Registry manager"))
    assert client.post(preview_url(story), data).status_code == 403
    client.logout()
    response = client.post(preview_url(story), data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# Autosave ---------------------------------------------------------------------


def autosave_url(story):
    return reverse("admin:ports_story_autosave", args=[story.pk])


def test_autosave_keeps_the_form_without_touching_the_story(editor):
    story = make_story(4511, title="As saved")
    data = form_data(editor, story, title_en="Typed, not saved")
    response = editor.post(autosave_url(story), data)
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", response.json()["saved_at_display"])
    editor.post(autosave_url(story), {**data, "title_en": "Typed further"})

    kept = editor.get(autosave_url(story)).json()
    assert kept["base_version"] == 1
    assert ["title_en", "Typed further"] in kept["data"]
    assert not [name for name, _value in kept["data"] if name == "csrfmiddlewaretoken"]
    assert StoryAutosave.objects.filter(story=story).count() == 1
    story.refresh_from_db()
    assert (story.title_en, story.version) == ("As saved", 1)
    assert not StoryRevision.objects.filter(story=story).exists()


def test_a_kept_form_is_its_editors_alone_and_can_be_discarded(editor):
    story = make_story(4512)
    editor.post(autosave_url(story), form_data(editor, story, title_en="Mine"))
    otto = Client()
    otto.force_login(make_user("otto", role="Editor"))
    assert otto.get(autosave_url(story)).status_code == 404
    assert otto.delete(autosave_url(story)).status_code == 204
    assert editor.get(autosave_url(story)).status_code == 200
    assert editor.delete(autosave_url(story)).status_code == 204
    assert editor.get(autosave_url(story)).status_code == 404


def test_the_change_form_offers_to_restore_a_kept_form(editor):
    story = make_story(4513)
    editor.post(autosave_url(story), form_data(editor, story, title_en="Kept"))
    kept = StoryAutosave.objects.get()
    page = editor.get(change_url(story)).content.decode()
    time = timezone.localtime(kept.saved_at).strftime("%H:%M")
    assert f"Restore unsaved changes from {time}" in page
    assert "has been saved since" not in page
    # Someone else saves: the notice says the kept form is based on less.
    Story.objects.filter(pk=story.pk).update(version=2)
    page = editor.get(change_url(story)).content.decode()
    assert "They are based on version 1, and the story has been saved since" in page


def test_saving_the_story_deletes_its_editors_kept_form_only(editor):
    story = make_story(4514)
    otto = Client()
    otto.force_login(make_user("otto", role="Editor"))
    otto.post(autosave_url(story), form_data(otto, story))
    data = form_data(editor, story, title_en="Saved now")
    editor.post(autosave_url(story), data)
    assert editor.post(change_url(story), data).status_code == 302
    assert list(StoryAutosave.objects.values_list("user__username", flat=True)) == [
        "otto"
    ]


def test_a_restored_form_never_overwrites_a_newer_save(editor):
    story = make_story(4515, title="First")
    editor.post(autosave_url(story), form_data(editor, story, title_en="Edna's"))
    # Otto saves meanwhile.
    otto = Client()
    otto.force_login(make_user("otto", role="Editor"))
    saved = otto.post(change_url(story), form_data(otto, story, title_en="Otto's"))
    assert saved.status_code == 302
    # Edna's kept form, restored and saved, is refused: Otto's text stays.
    kept = editor.get(autosave_url(story)).json()
    restored = QueryDict(mutable=True)
    for name, value in kept["data"]:
        restored.appendlist(name, value)
    restored["csrfmiddlewaretoken"] = "unused-in-tests"
    response = editor.post(change_url(story), restored)
    assert response.status_code == 200
    assert "otto saved this story at" in response.content.decode()
    story.refresh_from_db()
    assert (story.title_en, story.version) == ("Otto's", 2)


def test_autosave_needs_the_right_to_edit_and_a_csrf_token(editor):
    story = make_story(4516)
    data = form_data(editor, story)
    assert editor.post(autosave_url(story), {"title_en": "x"}).status_code == 400
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.IN_REVIEW)
    assert editor.post(autosave_url(story), data).status_code == 403
    assert editor.get(autosave_url(story)).status_code == 403
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.DRAFT)
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(User.objects.get(username="edna"))
    assert guarded.post(autosave_url(story), data).status_code == 403
    assert not StoryAutosave.objects.exists()


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("-1", "edit_version: Ensure this value is greater than or equal to 1."),
        ("0", "edit_version: Ensure this value is greater than or equal to 1."),
        (
            "99999999999999999999",
            "edit_version: Ensure this value is less than or equal to 1.",
        ),
        ("2", "edit_version: Ensure this value is less than or equal to 1."),
        ("one", "edit_version: Enter a whole number."),
        ("²", "edit_version: Enter a whole number."),
        ("", "edit_version: This field is required."),
    ],
)
def test_autosave_refuses_a_version_the_story_never_had(editor, version, message):
    story = make_story(4517)
    data = form_data(editor, story, edit_version=version)
    response = editor.post(autosave_url(story), data)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not StoryAutosave.objects.exists()


# Presence ---------------------------------------------------------------------


def presence_url(story):
    return reverse("admin:ports_story_presence", args=[story.pk])


def signed_in(username, role="Editor"):
    client = Client()
    client.force_login(make_user(username, role=role))
    return client


def test_presence_says_who_else_has_the_story_open_and_since_when(editor):
    story = make_story(4521)
    first = timezone.now().replace(hour=10, minute=42, second=0, microsecond=0)
    later = first + datetime.timedelta(seconds=80)
    alice, bob = signed_in("alice"), signed_in("bob", role="Reviewer")
    with mock.patch("django.utils.timezone.now", return_value=first):
        assert editor.post(presence_url(story)).json()["others"] == []
        alice.post(presence_url(story))
    with mock.patch("django.utils.timezone.now", return_value=later):
        bob.post(presence_url(story))
        answer = editor.post(presence_url(story), {"version": "1"}).json()
    assert answer["others"] == [
        {"name": "alice", "since": "10:42"},
        {"name": "bob", "since": "10:43"},
    ]
    assert answer["others_text"] == (
        "Also open by alice since 10:42 and bob since 10:43."
    )
    assert answer["saved_text"] == ""
    # The others see the editor too, since the first ping, not the latest.
    with mock.patch("django.utils.timezone.now", return_value=later):
        seen = alice.post(presence_url(story)).json()["others"]
    assert {"name": "edna", "since": "10:42"} in seen


def test_presence_ends_when_the_form_is_closed_or_stops_pinging(editor):
    story = make_story(4522)
    start = timezone.now()
    alice, bob = signed_in("alice"), signed_in("bob")
    with mock.patch("django.utils.timezone.now", return_value=start):
        alice.post(presence_url(story))
        bob.post(presence_url(story))
    assert bob.post(presence_url(story), {"leave": "1"}).status_code == 204
    a_minute_on = start + datetime.timedelta(seconds=60)
    with mock.patch("django.utils.timezone.now", return_value=a_minute_on):
        assert [
            o["name"] for o in editor.post(presence_url(story)).json()["others"]
        ] == ["alice"]
    much_later = start + datetime.timedelta(seconds=120)
    with mock.patch("django.utils.timezone.now", return_value=much_later):
        assert editor.post(presence_url(story)).json()["others"] == []


def test_presence_warns_of_a_save_made_since_the_form_was_opened(editor):
    story = make_story(4523)
    otto = signed_in("otto")
    url = change_url(story)
    assert otto.post(url, form_data(otto, story, title_en="Otto's")).status_code == 302
    saved_at = StoryRevision.objects.get().created_at
    answer = editor.post(presence_url(story), {"version": "1"}).json()
    assert answer["version"] == 2
    assert answer["saved_text"].startswith(
        f"otto saved this story at {timezone.localtime(saved_at):%H:%M}, "
        "after this form was opened: if you save now, your save is refused"
    )
    assert editor.post(presence_url(story), {"version": "2"}).json()["saved_text"] == ""


def test_presence_is_for_those_who_may_see_the_story(client, editor):
    story = make_story(4524)
    assert editor.get(presence_url(story)).status_code == 405
    reviewer = signed_in("rita", role="Reviewer")
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.IN_REVIEW)
    assert reviewer.post(presence_url(story)).status_code == 200
    assert (
        signed_in("reg", role="Registry manager").post(presence_url(story)).status_code
        == 403
    )
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(User.objects.get(username="edna"))
    assert guarded.post(presence_url(story)).status_code == 403
    page = editor.get(change_url(story)).content.decode()
    assert f'data-url="{presence_url(story)}"' in page


@pytest.mark.parametrize("version", ["²", "one", "-1", "0"])
def test_presence_refuses_a_version_that_is_not_one(editor, version):
    story = make_story(4525)
    response = editor.post(presence_url(story), {"version": version})
    assert response.status_code == 400
    assert response.json()["error"].startswith("version: ")
    assert editor.post(presence_url(story), {"version": "1"}).status_code == 200
