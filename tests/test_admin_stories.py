import html
import re
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import Assignment, ImportRun, RegistryChange, Story, StoryTransition
from tests.factories import (
    admin_form_data,
    make_citation,
    make_faq,
    make_published_story,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    return make_user("edna", role="Editor")


@pytest.fixture
def reviewer():
    return make_user("rita", role="Reviewer")


def change_url(story):
    return reverse("admin:ports_story_change", args=[story.pk])


def add_story_data(number, **overrides):
    data = {
        "port": str(number),
        "title_en": f"Port {number}: a story",
        "summary_en": "Why this port matters.",
        "body_en": "It began in 1983.[^1]",
        "edit_version": "",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-position": "1",
        "citations-0-title": "RFC 1700",
        "citations-0-url": "https://www.rfc-editor.org/rfc/rfc1700",
        "faqs-TOTAL_FORMS": "1",
        "faqs-INITIAL_FORMS": "0",
        "faqs-0-position": "1",
        "faqs-0-question_en": "Is it safe?",
        "faqs-0-answer_en": "Close it if unused.",
        "related_ports-TOTAL_FORMS": "1",
        "related_ports-INITIAL_FORMS": "0",
        "related_ports-0-port": "7",
        "related_ports-0-note_en": "echo",
        "related_ports-0-position": "0",
        "known_uses-TOTAL_FORMS": "1",
        "known_uses-INITIAL_FORMS": "0",
        "known_uses-0-kind": "unofficial",
        "known_uses-0-name": "Game server",
        "known_uses-0-source_title": "A port database",
        "known_uses-0-source_url": "https://example.org/4242",
        "known_uses-0-position": "1",
    }
    data.update(overrides)
    return data


def test_editor_adds_a_story_with_parts_in_one_revision(client, editor):
    client.force_login(editor)
    response = client.post(reverse("admin:ports_story_add"), add_story_data(4242))
    assert response.status_code == 302, response.context["adminform"].form.errors
    story = Story.objects.get(port_id=4242)
    assert story.status == StoryStatus.DRAFT
    assert story.related_ports.get().port_id == 7
    revision = story.revisions.get()
    assert revision.author == editor
    assert revision.content["citations"][0]["title"] == "RFC 1700"
    assert revision.content["faqs"][0]["question"] == {"en": "Is it safe?"}
    assert revision.content["related"] == [{"port": 7, "note": {"en": "echo"}}]
    assert [use["name"] for use in revision.content["known_uses"]] == ["Game server"]


def test_save_and_submit_goes_to_the_submit_step(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:ports_story_add"), add_story_data(4243, _submit_for_review="1")
    )
    story = Story.objects.get(port_id=4243)
    assert response["Location"] == reverse(
        "admin:ports_story_step", args=[story.pk, "submit"]
    )


def test_every_save_is_a_revision_and_editing_a_published_story_keeps_it_live(
    client, editor
):
    story = make_published_story(4300, title="Live title")
    live = story.live_revision
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(story)))
    data["title_en"] = "Rewritten title"
    response = client.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert story.live_revision == live and story.is_live()
    assert story.title_en == "Rewritten title"
    assert story.revisions.count() == 2
    assert story.transitions.first().action == StoryTransition.Action.EDIT
    html = client.get(f"/ports/{story.port_id}/").content.decode()
    assert "Live title" in html and "Rewritten title" not in html


def test_second_editor_save_is_refused_and_their_text_is_kept(client, editor):
    story = make_story(4400, title="Original", body="First.[^1]")
    make_citation(story)
    other = make_user("otto", role="Editor")
    client.force_login(editor)
    first_form = admin_form_data(client.get(change_url(story)))
    client.force_login(other)
    second_form = admin_form_data(client.get(change_url(story)))

    client.force_login(editor)
    first_form["body_en"] = "Editor one's text.[^1]"
    assert client.post(change_url(story), first_form).status_code == 302

    client.force_login(other)
    second_form["body_en"] = "Editor two's text.[^1]"
    response = client.post(change_url(story), second_form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "edna saved this story" in errors[0]
    assert "Nothing you changed has been saved" in errors[0]
    assert "Editor two&#x27;s text.[^1]</textarea>" in response.content.decode()
    story.refresh_from_db()
    assert story.body_en == "Editor one's text.[^1]"
    assert story.revisions.count() == 1

    # Saving again, after seeing the conflict, is a deliberate choice.
    again = admin_form_data(response)
    assert again["body_en"] == "Editor two's text.[^1]"
    assert client.post(change_url(story), again).status_code == 302
    story.refresh_from_db()
    assert story.body_en == "Editor two's text.[^1]"


def test_a_form_without_its_version_is_refused(client, editor):
    story = make_story(4401)
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(story)))
    del data["edit_version"]
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert (
        "The form is incomplete"
        in response.context["adminform"].form.non_field_errors()[0]
    )


def test_invalid_form_does_not_use_up_the_version(client, editor):
    story = make_story(4402)
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(story)))
    data["title_en"] = ""
    assert client.post(change_url(story), data).status_code == 200
    data["title_en"] = "Fixed"
    assert client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.title_en == "Fixed" and story.version == 2


def test_story_in_review_is_read_only_for_editors_but_not_reviewers(
    client, editor, reviewer
):
    story = make_story(4403, status=StoryStatus.IN_REVIEW)
    client.force_login(editor)
    page = client.get(change_url(story))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    data = {"title_en": "Sneaky", "edit_version": str(story.version)}
    assert client.post(change_url(story), data).status_code == 403
    client.force_login(reviewer)
    assert client.get(change_url(story)).context["has_change_permission"]


def test_story_list_shows_status_port_range_review_and_live_state(client, reviewer):
    live = make_published_story(80, title="HTTP")
    client.force_login(reviewer)
    response = client.get(reverse("admin:ports_story_changelist"))
    html = response.content.decode()
    for text in ("HTTP", "Published", "System (well-known)", "Live"):
        assert text in html
    assert live.last_reviewed_at is not None


def test_story_search_by_port_title_and_service_name(client, reviewer):
    make_story(80, title="The web")
    make_story(443, title="TLS everywhere")
    make_story(6001, title="X display one")
    Assignment.objects.create(
        registry_key="x11|tcp|6000-6063",
        service_name="x11",
        transport="tcp",
        port_low=6000,
        port_high=6063,
    )
    client.force_login(reviewer)

    def search(term):
        response = client.get(reverse("admin:ports_story_changelist"), {"q": term})
        return sorted(s.port_id for s in response.context["cl"].result_list)

    assert search("443") == [443]
    assert search("TLS") == [443]
    assert search("x11") == [6001]
    assert search("nothing-like-this") == []


def test_admin_index_shows_each_role_its_work_queues(client, editor, reviewer):
    now = timezone.now()
    waiting = make_story(5001, title="Waiting for review", status=StoryStatus.IN_REVIEW)
    sent_back = make_story(5002, title="Sent back story")
    sent_back.authors.add(editor)
    sent_back.status = StoryStatus.IN_REVIEW
    sent_back.save()
    actions.story_send_back(story=sent_back, by=reviewer, comment="Needs sources")
    scheduled = make_story(5003, title="Scheduled story")
    make_citation(scheduled)
    actions.story_publish(story=scheduled, by=None, at=now + timezone.timedelta(days=2))
    stale = make_published_story(5004, title="Old story")
    Story.objects.filter(pk=stale.pk).update(
        last_reviewed_at=now - timezone.timedelta(days=400)
    )
    changed = make_published_story(5005, title="Registry moved")
    assignment = Assignment.objects.create(
        registry_key="svc|tcp|5005", service_name="svc", transport="tcp",
        port_low=5005, port_high=5005,
    )  # fmt: skip
    run = ImportRun.objects.create(
        file_name="x.csv", sha256="0" * 64, outcome="applied"
    )
    RegistryChange.objects.create(
        run=run, assignment=assignment, kind="changed", port_low=5005, port_high=5005,
        created_at=now + timezone.timedelta(seconds=5),
    )  # fmt: skip

    client.force_login(reviewer)
    queues = {
        v.queue.key: v for v in client.get(reverse("admin:index")).context["queues"]
    }
    assert [s.pk for s in queues["awaiting_review"].stories] == [waiting.pk]
    assert queues["sent_back"].stories == []  # rita wrote nothing
    assert [s.pk for s in queues["scheduled"].stories] == [scheduled.pk]
    assert changed.pk in [s.pk for s in queues["registry_changed"].stories]
    assert [s.pk for s in queues["review_overdue"].stories] == [stale.pk]

    client.force_login(editor)
    response = client.get(reverse("admin:index"))
    queues = {v.queue.key: v for v in response.context["queues"]}
    assert "awaiting_review" not in queues
    assert [s.pk for s in queues["sent_back"].stories] == [sent_back.pk]
    assert "Sent back story" in response.content.decode()

    # "See all" lands on the same queue in the story list.
    listing = client.get(
        reverse("admin:ports_story_changelist"), {"queue": "sent_back"}
    )
    assert [s.pk for s in listing.context["cl"].result_list] == [sent_back.pk]


def test_change_page_shows_the_audit_trail_and_the_sent_back_comment(
    client, editor, reviewer
):
    story = make_story(5100, status=StoryStatus.IN_REVIEW)
    actions.story_send_back(story=story, by=reviewer, comment="Cite the RFC <please>")
    client.force_login(editor)
    html = client.get(change_url(story)).content.decode()
    assert 'id="audit-trail"' in html
    assert "Sent back to draft" in html
    assert "In review → Draft" in html
    assert "Cite the RFC &lt;please&gt;" in html
    assert "Sent back by rita" in html


def test_publication_is_recorded_in_the_admin_log(client, reviewer):
    story = make_story(5200, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    client.force_login(reviewer)
    url = reverse("admin:ports_story_step", args=[story.pk, "publish"])
    response = client.post(url, {"version": story.version, "comment": "Good"})
    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(story.pk))
    assert entry.user == reviewer and "Published" in entry.get_change_message()


def test_submit_step_shows_check_failures_as_form_errors_and_changes_nothing(
    client, editor
):
    story = make_story(5300, summary="", body="See [^2].")
    make_citation(story, 1, url="ftp://example.org/file")
    client.force_login(editor)
    url = reverse("admin:ports_story_step", args=[story.pk, "submit"])
    response = client.post(url, {"version": story.version})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "The English summary is empty." in errors
    assert "The English body cites [^2] but there is no citation 2." in errors
    assert any(e.startswith("Citation 1 (Source 1) is not cited") for e in errors)
    assert any("ftp://example.org/file" in e for e in errors)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert not story.transitions.exists()


def test_publish_step_schedules_with_a_go_live_time(client, reviewer):
    story = make_story(5400, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    make_faq(story)
    client.force_login(reviewer)
    url = reverse("admin:ports_story_step", args=[story.pk, "publish"])
    later = timezone.now() + timezone.timedelta(days=3)
    response = client.post(
        url,
        {
            "version": story.version,
            "go_live_at_0": later.strftime("%Y-%m-%d"),
            "go_live_at_1": "09:30:00",
            "expire_at_0": (later + timezone.timedelta(days=1)).strftime("%Y-%m-%d"),
            "expire_at_1": "09:30:00",
        },
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == StoryStatus.SCHEDULED
    assert story.scheduled_go_live_at.strftime("%Y-%m-%d %H:%M") == (
        later.strftime("%Y-%m-%d") + " 09:30"
    )
    assert story.live_revision is None


def test_publish_step_refuses_expiry_before_go_live(client, reviewer):
    story = make_story(5401, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    client.force_login(reviewer)
    url = reverse("admin:ports_story_step", args=[story.pk, "publish"])
    response = client.post(
        url,
        {
            "version": story.version,
            "expire_at_0": "2001-01-01",
            "expire_at_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["expire_at"]
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW


def test_step_on_a_story_changed_meanwhile_is_refused(client, reviewer):
    story = make_story(5402, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    client.force_login(reviewer)
    url = reverse("admin:ports_story_step", args=[story.pk, "publish"])
    stale_version = story.version
    Story.objects.filter(pk=story.pk).update(version=stale_version + 1)
    response = client.post(url, {"version": stale_version})
    assert response.status_code == 200
    assert (
        "changed while this page was open"
        in response.context["form"].non_field_errors()[0]
    )
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW


def test_a_save_that_loses_the_race_after_the_check_is_refused_too(client, editor):
    """Without row locks (SQLite) a save can pass the form check and then find
    the version moved; the conditional update refuses it and the form says so."""
    story = make_story(5500, title="Theirs")
    client.force_login(editor)
    data = admin_form_data(client.get(change_url(story)))
    data["title_en"] = "Mine"
    real_lock = actions.story_lock
    calls = []

    def lock_then_lose_the_race(*, story_id, expected_version):
        # The other editor's save lands right after our first check. It is
        # applied again on the retry because, in this one-connection test,
        # our rolled-back transaction took it with it; a real one would stay.
        calls.append(expected_version)
        Story.objects.filter(pk=story_id).update(title_en="Theirs, v2", version=2)
        if len(calls) == 1:
            return None
        return real_lock(story_id=story_id, expected_version=expected_version)

    with mock.patch.object(actions, "story_lock", lock_then_lose_the_race):
        response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert (
        "saved this story" in response.context["adminform"].form.non_field_errors()[0]
    )
    story.refresh_from_db()
    assert (story.title_en, story.version) == ("Theirs, v2", 2)
    assert not story.revisions.exists()
    assert calls == [1, 1]


def test_the_change_form_compares_the_working_copy_with_the_live_version(
    client, editor
):
    story = make_published_story(4250, title="Live title")
    client.force_login(editor)
    page = client.get(change_url(story)).content.decode()
    assert "Compare with live" not in page  # the working copy is the live one
    story.title_en = "Working title"
    story.save()
    latest = actions.story_record_save(story=story, by=editor)
    page = client.get(change_url(story)).content.decode()
    story.refresh_from_db()
    link = html.unescape(re.search(r'<a href="([^"]+)">Compare with live</a>', page)[1])
    assert link.endswith(f"?from={story.live_revision_id}&to={latest.pk}")
    compared = client.get(link).content.decode()
    title = re.search(
        r"<h3>Title.*?</h3>\s*<div class=\"diff\">(.*?)</div>", compared, re.S
    )
    assert re.search(r"<del[^>]*>\s*Live\s*</del>", title[1]), title[1]
    assert re.search(r"<ins[^>]*>\s*Working\s*</ins>", title[1]), title[1]
