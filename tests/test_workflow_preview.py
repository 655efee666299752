import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import Assignment
from tests.factories import (
    make_citation,
    make_faq,
    make_published_story,
    make_related,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def article(response):
    """The port's article: the page minus what only readers get (feedback form)."""
    return re.search(
        r'<article class="port">.*</article>', response.content.decode(), re.S
    )[0]


def test_preview_renders_the_draft_exactly_as_the_published_page_would(client):
    story = make_story(9100, title="Draft <em>title</em>", body="## Part\n\nText.[^1]")
    make_citation(story)
    make_faq(story)
    make_related(story, 22, note="ssh")
    Assignment.objects.create(
        registry_key="ssh|tcp|22",
        service_name="ssh",
        transport="tcp",
        port_low=22,
        port_high=22,
    )
    client.force_login(make_user("edna", role="Editor"))
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        preview = client.get(reverse("ports:story-preview", args=[story.pk]))
        assert preview.status_code == 200
        actions.story_publish(story=story, by=None)
        client.logout()
        public = client.get(f"/ports/{story.port_id}/")
    assert (
        "no-cache" in preview["Cache-Control"] and "private" in preview["Cache-Control"]
    )
    assert preview["X-Robots-Tag"] == "noindex, nofollow"
    assert "Draft &lt;em&gt;title&lt;/em&gt;" in preview.content.decode()
    assert 'href="#source-1"' in article(preview)
    assert "ssh" in article(preview).split("related")[-1]
    # The same article, but for the review date publishing gave it.
    reviewed = re.compile(r'\s*<p class="reviewed">.*?</p>', re.S)
    assert reviewed.search(article(public))
    assert not reviewed.search(article(preview))

    def words(html):
        return " ".join(html.split())

    # Nor "Cite this page": a preview is no published version.
    cite = re.compile(r'\s*<section class="cite".*?</section>', re.S)
    assert cite.search(article(public))
    public_only = cite.sub("", reviewed.sub("", article(public)))
    assert words(article(preview)) == words(public_only)


def banner(response):
    found = re.search(
        r'<aside class="preview-banner".*?</aside>', response.content.decode(), re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", found[0]).split()) if found else None


def test_a_preview_says_it_is_not_live_with_the_storys_state_and_version(client):
    story = make_story(9105)
    client.force_login(make_user("edna", role="Editor"))
    url = reverse("ports:story-preview", args=[story.pk])
    assert (
        banner(client.get(url)) == f"Preview: not live Draft, version {story.version}."
    )
    with translation.override("ja"):
        japanese = client.get(f"/ja{url}")
    assert (
        banner(japanese)
        == f"プレビュー：公開されていません 下書き、バージョン {story.version}。"
    )
    # Readers' pages never carry it.
    actions.story_publish(story=story, by=None)
    client.logout()
    assert banner(client.get(f"/ports/{story.port_id}/")) is None


def test_a_revisions_preview_says_when_it_was_saved(client):
    story = make_story(9106, title="Old words")
    old = actions.story_save_revision(story=story, by=None)
    old.created_at = NOW
    old.save(update_fields=["created_at"])
    client.force_login(make_user("edna", role="Editor"))
    url = reverse("ports:story-preview", args=[story.pk])
    text = banner(client.get(url, {"revision": old.pk}))
    assert text.endswith("A revision saved May 4, 2026, 10 a.m.")


def test_a_preview_shows_only_the_review_the_story_had(client):
    never = make_story(9107)
    client.force_login(make_user("edna", role="Editor"))
    page = client.get(reverse("ports:story-preview", args=[never.pk]))
    assert "Last reviewed" not in page.content.decode()
    live = make_published_story(9108)
    live.refresh_from_db()
    page = client.get(reverse("ports:story-preview", args=[live.pk])).content.decode()
    assert f'datetime="{live.last_reviewed_at.isoformat()}"' in page


def test_preview_shows_the_draft_while_readers_see_the_live_version(client):
    story = make_published_story(9101, title="Live title")
    story.title_en = "Draft title"
    story.save()
    actions.story_record_save(story=story, by=None)
    client.force_login(make_user("rita", role="Reviewer"))
    html = client.get(reverse("ports:story-preview", args=[story.pk])).content.decode()
    assert "Draft title" in html and "Live title" not in html
    public = client.get(f"/ports/{story.port_id}/").content.decode()
    assert "Live title" in public and "Draft title" not in public


def test_preview_of_a_revision(client):
    story = make_story(9102, title="Old words")
    old = actions.story_save_revision(story=story, by=None)
    story.title_en = "New words"
    story.save()
    client.force_login(make_user("edna", role="Editor"))
    url = reverse("ports:story-preview", args=[story.pk])
    assert "Old words" in client.get(url, {"revision": old.pk}).content.decode()
    assert client.get(url, {"revision": "x"}).status_code == 404
    other = actions.story_save_revision(story=make_story(9103), by=None)
    assert client.get(url, {"revision": other.pk}).status_code == 404


def test_inactive_or_non_staff_users_get_404(client):
    story = make_story(9104, status=StoryStatus.DRAFT)
    url = reverse("ports:story-preview", args=[story.pk])
    for user in (
        make_user("gone", role="Editor", is_active=False),
        make_user("reader", role="Editor", is_staff=False),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404
