"""
Readers' feedback feeds the editors' work: a story that readers in a language
mostly find unhelpful is listed under "Needs attention" on the admin index,
with its latest comments, until its share of "yes" answers recovers.
"""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from ports.editorial.workflow import needs_attention
from ports.models import FeedbackVote
from tests.factories import make_story, make_user

# Under half "yes" from at least four answers in the last 30 days.
RULE = override_settings(
    FEEDBACK_ATTENTION_SHARE=50,
    FEEDBACK_ATTENTION_MIN_VOTES=4,
    FEEDBACK_ATTENTION_DAYS=30,
)


def answers(story, language, *, yes, no, comments=(), days_ago=1):
    """yes + no answers on the story's page; the first "no"s carry the comments."""
    at = timezone.now() - datetime.timedelta(days=days_ago)
    comments = list(comments)
    for helpful in [True] * yes + [False] * no:
        comment = comments.pop(0) if comments and not helpful else ""
        FeedbackVote.objects.create(
            port_id=story.port_id,
            story=story,
            language=language,
            helpful=helpful,
            comment=comment,
            created_at=at,
        )
        at += datetime.timedelta(minutes=1)


def attention_queue(client):
    html = client.get("/admin/").content.decode()
    found = re.search(
        r'<section class="work-queue" id="queue-needs_attention">(.*?)</section>',
        html,
        re.S,
    )
    return found and found.group(1)


def listed(client):
    """(port, language) of each story the queue lists, in its order."""
    return [
        (int(port), language)
        for language, port in re.findall(
            r'<li data-story="\d+" data-language="([^"]+)">\s*<a href="[^"]+">(\d+):',
            attention_queue(client),
        )
    ]


@pytest.fixture
def editor_client(client, db):
    client.force_login(make_user("edna", role="Editor"))
    return client


@RULE
def test_a_story_below_the_share_with_enough_answers_needs_attention(editor_client):
    story = make_story(6001, title="Port 6001 <i>explained</i>")
    answers(
        story,
        "de",
        yes=1,
        no=3,
        comments=["Too short", "<script>alert(1)</script>", "Wrong port"],
    )
    queue = attention_queue(editor_client)
    assert listed(editor_client) == [(6001, "de")]
    assert "(1)" in queue
    assert f'href="/admin/ports/story/{story.pk}/change/"' in queue
    assert "Port 6001 &lt;i&gt;explained&lt;/i&gt;" in queue
    assert "German" in queue
    assert re.search(r"25\.0%</span>\s+helpful of 4 answers", queue)
    assert (
        f'href="/admin/ports/feedbackvote/report/?period=30&amp;language=de&amp;'
        f'story={story.pk}"'
    ) in queue
    # Newest first, escaped, at most three.
    comments = re.findall(r"</time>: ([^<]*)</li>", queue)
    assert comments == [
        "Wrong port",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "Too short",
    ]
    assert "<script>alert(1)</script>" not in queue


@RULE
def test_a_share_at_or_above_the_threshold_does_not(editor_client):
    answers(make_story(6002), "en", yes=2, no=2)  # exactly 50 %: not below
    answers(make_story(6003), "en", yes=9, no=1)
    assert listed(editor_client) == []
    assert "Nothing here." in attention_queue(editor_client)


@RULE
def test_too_few_answers_do_not_count_however_bad(editor_client):
    answers(make_story(6004), "fr", yes=0, no=3)
    assert listed(editor_client) == []


@RULE
def test_each_language_is_judged_on_its_own_answers(editor_client):
    mixed = make_story(6005)
    answers(mixed, "ja", yes=0, no=4)  # readers in Japanese are let down
    answers(mixed, "en", yes=20, no=0)  # which English readers' praise won't hide
    split = make_story(6006)
    # Bad in two languages, but too few answers in each: not added up.
    answers(split, "es", yes=0, no=2)
    answers(split, "tr", yes=0, no=2)
    worse = make_story(6007)
    answers(worse, "ar", yes=0, no=5)
    assert listed(editor_client) == [(6007, "ar"), (6005, "ja")]  # least helpful first


@RULE
def test_answers_older_than_the_window_are_left_out(editor_client):
    story = make_story(6008)
    answers(story, "de", yes=0, no=4, days_ago=31)
    assert listed(editor_client) == []
    answers(story, "de", yes=4, no=0, days_ago=40)  # old praise does not help either
    answers(story, "de", yes=1, no=3, days_ago=2)
    assert listed(editor_client) == [(6008, "de")]


@RULE
def test_see_all_lists_the_stories_and_the_report_link_shows_one_story(
    editor_client,
):
    flagged, fine = make_story(6009), make_story(6010)
    answers(flagged, "de", yes=0, no=4, comments=["Needs a diagram"])
    answers(fine, "de", yes=4, no=0)
    changelist = editor_client.get("/admin/ports/story/?queue=needs_attention")
    assert [story.pk for story in changelist.context["cl"].result_list] == [flagged.pk]

    report = editor_client.get(
        f"/admin/ports/feedbackvote/report/?period=30&language=de&story={flagged.pk}"
    )
    assert [row.story_id for row in report.context["rows"]] == [flagged.pk]
    html = report.content.decode()
    assert "Only the story <strong>6009: " in html
    assert "Needs a diagram" in html
    every = editor_client.get("/admin/ports/feedbackvote/report/?period=30&language=de")
    assert {row.story_id for row in every.context["rows"]} == {flagged.pk, fine.pk}
    # A story that is no number is no filter, not an error.
    odd = editor_client.get("/admin/ports/feedbackvote/report/?story=6009x")
    assert odd.status_code == 200 and odd.context["story"] is None


@RULE
def test_the_count_is_of_stories_as_see_all_lists_them(editor_client):
    twice = make_story(6012)
    answers(twice, "de", yes=0, no=4)
    answers(twice, "ja", yes=0, no=4)
    answers(make_story(6013), "fr", yes=1, no=4)
    queue = attention_queue(editor_client)
    assert len(listed(editor_client)) == 3
    assert '<span class="count">(2)</span>' in queue
    assert "See all" not in queue

    view = needs_attention(limit=2)
    assert (view.count, len(view.rows), view.more) == (2, 2, True)
    changelist = editor_client.get("/admin/ports/story/?queue=needs_attention")
    assert changelist.context["cl"].result_count == view.count


@RULE
def test_only_people_who_can_view_stories_see_the_queue(client, db):
    answers(make_story(6011), "de", yes=0, no=4)
    client.force_login(make_user("reviewer", role="Reviewer"))
    assert listed(client) == [(6011, "de")]
    client.force_login(make_user("staff-without-roles"))
    assert attention_queue(client) is None
