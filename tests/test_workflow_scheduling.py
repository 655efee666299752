"""Scheduled publishing and expiry, at a fixed clock."""

import io
import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection, transaction

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import Story, StoryTransition
from ports.reader.page_data import port_page_data
from tests.factories import make_citation, make_story, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Action = StoryTransition.Action


@pytest.fixture
def reviewer():
    return make_user("rita", role="Reviewer")


def in_review(number, title="Scheduled title"):
    story = make_story(number, title=title, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    return story


def shown_title(number, at):
    page = port_page_data(number, language="en", now=at)
    return page.localized_story.title.text if page.localized_story else None


def test_a_scheduled_story_is_not_shown_before_its_go_live_time(reviewer):
    story = in_review(7000)
    actions.story_publish(
        story=story, by=reviewer, at=NOW + timedelta(hours=2), now=NOW
    )
    story.refresh_from_db()
    assert story.status == StoryStatus.SCHEDULED
    assert story.live_revision is None
    assert story.scheduled_go_live_at == NOW + timedelta(hours=2)
    assert shown_title(7000, NOW + timedelta(hours=1)) is None
    # Not even at go-live time if the command has not run yet.
    assert shown_title(7000, NOW + timedelta(hours=3)) is None
    assert actions.stories_publish_due(now=NOW + timedelta(hours=1)) == ([], [])
    story.refresh_from_db()
    assert story.status == StoryStatus.SCHEDULED

    assert actions.stories_publish_due(now=NOW + timedelta(hours=2)) == (
        [story.pk],
        [],
    )
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED
    assert story.go_live_at == story.published_at == NOW + timedelta(hours=2)
    assert story.scheduled_revision is None
    assert shown_title(7000, NOW + timedelta(hours=2)) == "Scheduled title"
    step = story.transitions.first()
    assert (step.action, step.user, step.from_status, step.to_status) == (
        Action.GO_LIVE,
        None,
        StoryStatus.SCHEDULED,
        StoryStatus.PUBLISHED,
    )


def test_readers_keep_the_live_version_until_the_scheduled_one_goes_live(reviewer):
    story = in_review(7001, title="Old")
    actions.story_publish(story=story, by=reviewer, now=NOW)
    story.refresh_from_db()
    story.title_en = "New"
    story.save()
    actions.story_record_save(story=story, by=reviewer)
    actions.story_submit(story=story, by=reviewer)
    actions.story_publish(story=story, by=reviewer, at=NOW + timedelta(days=1), now=NOW)
    story.refresh_from_db()
    assert story.status == StoryStatus.SCHEDULED
    assert shown_title(7001, NOW + timedelta(hours=23)) == "Old"
    assert shown_title(7001, NOW + timedelta(days=2)) == "Old"  # command not run
    actions.stories_publish_due(now=NOW + timedelta(days=1, minutes=1))
    assert shown_title(7001, NOW + timedelta(days=1, minutes=1)) == "New"


def test_a_story_is_never_shown_after_expiry_even_before_the_command_runs(reviewer):
    story = in_review(7002)
    actions.story_publish(
        story=story, by=reviewer, expire_at=NOW + timedelta(hours=1), now=NOW
    )
    assert shown_title(7002, NOW + timedelta(minutes=59)) == "Scheduled title"
    assert shown_title(7002, NOW + timedelta(hours=1)) is None
    story.refresh_from_db()
    assert story.live_revision is not None  # the command has not run

    assert actions.stories_publish_due(now=NOW + timedelta(hours=1)) == (
        [],
        [story.pk],
    )
    story.refresh_from_db()
    assert story.live_revision is None and story.status == StoryStatus.DRAFT
    step = story.transitions.first()
    assert (step.action, step.from_status, step.to_status, step.expire_at) == (
        Action.EXPIRE,
        StoryStatus.PUBLISHED,
        StoryStatus.DRAFT,
        NOW + timedelta(hours=1),
    )


def test_scheduled_go_live_and_expiry_both_apply(reviewer):
    story = in_review(7003)
    actions.story_publish(
        story=story,
        by=reviewer,
        at=NOW + timedelta(hours=1),
        expire_at=NOW + timedelta(hours=5),
        now=NOW,
    )
    actions.stories_publish_due(now=NOW + timedelta(hours=1))
    assert shown_title(7003, NOW + timedelta(hours=4)) == "Scheduled title"
    assert shown_title(7003, NOW + timedelta(hours=5)) is None
    assert actions.stories_publish_due(now=NOW + timedelta(hours=6)) == (
        [],
        [story.pk],
    )


def test_expiry_must_follow_go_live(reviewer):
    story = in_review(7004)
    with pytest.raises(Exception, match="expiry time must be after"):
        actions.story_publish(
            story=story,
            by=reviewer,
            at=NOW + timedelta(hours=2),
            expire_at=NOW + timedelta(hours=1),
            now=NOW,
        )
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW


def test_the_command_is_idempotent(reviewer):
    story = in_review(7005)
    actions.story_publish(
        story=story, by=reviewer, at=NOW + timedelta(minutes=5), now=NOW
    )
    out, again = io.StringIO(), io.StringIO()
    with mock.patch(
        "django.utils.timezone.now", return_value=NOW + timedelta(minutes=10)
    ):
        call_command("publish_scheduled", stdout=out)
        call_command("publish_scheduled", stdout=again)
    assert out.getvalue().strip() == "Published 1 scheduled stories, expired 0."
    assert again.getvalue().strip() == "Published 0 scheduled stories, expired 0."
    assert story.transitions.filter(action=Action.GO_LIVE).count() == 1


def test_editing_a_scheduled_story_keeps_the_approved_version_scheduled(reviewer):
    story = in_review(7006, title="Approved")
    actions.story_publish(
        story=story, by=reviewer, at=NOW + timedelta(hours=1), now=NOW
    )
    story.refresh_from_db()
    story.title_en = "Unreviewed edit"
    story.save()
    actions.story_record_save(story=story, by=reviewer)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert story.scheduled_revision is not None
    actions.stories_publish_due(now=NOW + timedelta(hours=1))
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT  # the newer draft still needs review
    assert shown_title(7006, NOW + timedelta(hours=1)) == "Approved"


def test_unpublish_cancels_a_schedule(reviewer):
    story = in_review(7007)
    actions.story_publish(
        story=story, by=reviewer, at=NOW + timedelta(hours=1), now=NOW
    )
    actions.story_unpublish(story=story, by=reviewer)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.scheduled_revision is None
    assert actions.stories_publish_due(now=NOW + timedelta(hours=2)) == ([], [])


def test_publishing_now_supersedes_an_older_schedule(reviewer):
    story = in_review(7008, title="Later")
    actions.story_publish(story=story, by=reviewer, at=NOW + timedelta(days=1), now=NOW)
    story.refresh_from_db()
    story.title_en = "Now"
    story.save()
    actions.story_record_save(story=story, by=reviewer)
    actions.story_submit(story=story, by=reviewer)
    actions.story_publish(story=story, by=reviewer, now=NOW)
    story.refresh_from_db()
    assert story.scheduled_revision is None
    assert actions.stories_publish_due(now=NOW + timedelta(days=2)) == ([], [])
    assert shown_title(7008, NOW + timedelta(days=2)) == "Now"


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="row locks need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_run_skips_the_row_another_run_holds():
    story = make_story(7009, status=StoryStatus.IN_REVIEW)
    make_citation(story)
    actions.story_publish(story=story, by=None, at=NOW + timedelta(hours=1), now=NOW)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Story.objects.select_for_update().get(pk=story.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        assert actions.stories_publish_due(now=NOW + timedelta(hours=2)) == ([], [])
    finally:
        release.set()
        holder.join()
    assert actions.stories_publish_due(now=NOW + timedelta(hours=2)) == (
        [story.pk],
        [],
    )
    assert actions.stories_publish_due(now=NOW + timedelta(hours=2)) == ([], [])


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="concurrent transactions need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_publish_each_story_once():
    for number in range(7100, 7110):
        story = make_story(number, status=StoryStatus.IN_REVIEW)
        make_citation(story)
        actions.story_publish(
            story=story, by=None, at=NOW + timedelta(hours=1), now=NOW
        )
    results, start = [], threading.Barrier(2)

    def run():
        try:
            start.wait(10)
            results.append(actions.stories_publish_due(now=NOW + timedelta(hours=2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published = [pk for run_published, _expired in results for pk in run_published]
    assert len(published) == len(set(published)) == 10
    assert StoryTransition.objects.filter(action=Action.GO_LIVE).count() == 10


def test_the_scheduling_step_names_its_time_as_the_admin_shows_dates(
    reviewer, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    story = in_review(7090)
    actions.story_publish(story=story, by=reviewer, at=NOW + timedelta(days=1), now=NOW)
    # 12:00 UTC is 1 p.m. in Berlin, in the admin's own date format.
    entry = LogEntry.objects.get(object_id=str(story.pk))
    assert entry.change_message == "Scheduled to go live at March 2, 2026, 1 p.m."
