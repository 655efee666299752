import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ports.choices import StoryStatus
from ports.editorial import actions, workflow
from ports.models import Story, StoryTransition
from tests.factories import make_citation, make_published_story, make_story, make_user

pytestmark = pytest.mark.django_db

Action = StoryTransition.Action


@pytest.fixture
def editor():
    return make_user("edna", role="Editor")


@pytest.fixture
def reviewer():
    return make_user("rita", role="Reviewer")


def ready_story(number=6000, **fields):
    story = make_story(number, **fields)
    make_citation(story)
    return story


def last_step(story):
    return story.transitions.first()


def test_submit_moves_a_draft_to_review_and_records_who_and_why(editor):
    story = ready_story()
    actions.story_submit(story=story, by=editor, comment="Ready")
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW
    step = last_step(story)
    assert (step.action, step.user, step.from_status, step.to_status, step.comment) == (
        Action.SUBMIT,
        editor,
        StoryStatus.DRAFT,
        StoryStatus.IN_REVIEW,
        "Ready",
    )
    assert step.revision.content["title"]["en"] == story.title_en


def test_submit_refuses_a_story_that_fails_the_checks_and_changes_nothing(editor):
    story = make_story(6001, body="No markers here.")
    make_citation(story)
    with pytest.raises(ValidationError) as refused:
        actions.story_submit(story=story, by=editor)
    assert refused.value.messages == [
        "Citation 1 (Source 1) is not cited in the English body: add [^1] where it "
        "supports the text, or remove it."
    ]
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert not story.transitions.exists() and not story.revisions.exists()


def test_reviewer_publishes_in_one_update_of_the_story_row(editor, reviewer):
    story = ready_story()
    actions.story_submit(story=story, by=editor)
    with CaptureQueriesContext(connection) as queries:
        actions.story_publish(story=story, by=reviewer, comment="Approved")
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "ports_story"')]
    assert len(updates) == 1 and "live_revision_id" in updates[0]
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED and story.is_live()
    assert story.last_reviewed_at == story.go_live_at
    assert story.live_revision == last_step(story).revision
    assert last_step(story).from_status == StoryStatus.IN_REVIEW


def test_publishing_a_new_draft_replaces_the_live_version(editor, reviewer):
    story = make_published_story(6002, title="First")
    first = story.live_revision
    story.title_en = "Second"
    story.save()
    actions.story_record_save(story=story, by=editor)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert story.live_revision == first  # still what readers see
    actions.story_submit(story=story, by=editor)
    actions.story_publish(story=story, by=reviewer)
    story.refresh_from_db()
    assert story.live_revision != first
    assert story.live_revision.content["title"]["en"] == "Second"
    assert Story.objects.live().get() == story


def test_saving_without_changes_keeps_a_published_story_published(editor):
    story = make_published_story(6003)
    revision = actions.story_record_save(story=story, by=editor)
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED
    assert revision.author == editor
    assert not story.transitions.filter(action=Action.EDIT).exists()


def test_send_back_needs_a_comment_and_returns_the_story_to_draft(editor, reviewer):
    story = ready_story()
    actions.story_submit(story=story, by=editor)
    with pytest.raises(ValidationError, match="a comment is required"):
        actions.story_send_back(story=story, by=reviewer, comment="  ")
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW
    actions.story_send_back(story=story, by=reviewer, comment="Add the 1983 RFC")
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    step = last_step(story)
    assert (step.action, step.from_status, step.to_status, step.comment) == (
        Action.SEND_BACK,
        StoryStatus.IN_REVIEW,
        StoryStatus.DRAFT,
        "Add the 1983 RFC",
    )
    assert list(Story.objects.sent_back()) == [story]


def test_unpublish_takes_the_page_down_and_is_logged(reviewer):
    story = make_published_story(6004)
    actions.story_unpublish(story=story, by=reviewer, comment="Wrong port")
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT
    assert story.live_revision is None and not story.is_live()
    assert not Story.objects.live().exists()
    step = last_step(story)
    assert (step.action, step.from_status, step.to_status) == (
        Action.UNPUBLISH,
        StoryStatus.PUBLISHED,
        StoryStatus.DRAFT,
    )
    assert LogEntry.objects.get(object_id=str(story.pk)).user == reviewer


def test_mark_reviewed_updates_the_review_date_only(reviewer):
    story = make_published_story(6005)
    live = story.live_revision
    actions.story_mark_reviewed(story=story, by=reviewer, comment="Still right")
    story.refresh_from_db()
    assert story.live_revision == live and story.status == StoryStatus.PUBLISHED
    assert last_step(story).action == Action.REVIEWED


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("submit", StoryStatus.IN_REVIEW),
        ("submit", StoryStatus.PUBLISHED),
        ("publish", StoryStatus.DRAFT),
        ("send_back", StoryStatus.DRAFT),
        ("unpublish", StoryStatus.DRAFT),
    ],
)
def test_steps_from_the_wrong_state_are_refused(reviewer, step, status):
    story = (
        make_published_story(6006) if status == StoryStatus.PUBLISHED else ready_story()
    )
    Story.objects.filter(pk=story.pk).update(status=status)
    service = {
        "submit": actions.story_submit,
        "publish": actions.story_publish,
        "send_back": actions.story_send_back,
        "unpublish": actions.story_unpublish,
    }[step]
    kwargs = {"comment": "why"} if step == "send_back" else {}
    with pytest.raises(ValidationError, match="cannot be"):
        service(story=story, by=reviewer, **kwargs)
    story.refresh_from_db()
    assert story.status == status


def test_editors_cannot_publish_send_back_or_unpublish(editor):
    story = ready_story(status=StoryStatus.IN_REVIEW)
    for service, kwargs in (
        (actions.story_publish, {}),
        (actions.story_send_back, {"comment": "x"}),
        (actions.story_unpublish, {}),
        (actions.story_mark_reviewed, {}),
    ):
        with pytest.raises(PermissionDenied):
            service(story=story, by=editor, **kwargs)
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW and not story.transitions.exists()


def test_registry_managers_and_staff_without_a_role_cannot_submit():
    manager = make_user("reg", role="Registry manager")
    nobody = make_user("nobody")
    story = ready_story()
    for user in (manager, nobody):
        with pytest.raises(PermissionDenied):
            actions.story_submit(story=story, by=user)
        assert not workflow.can_edit(user, story)


def test_inactive_users_are_refused_even_with_the_role():
    former = make_user("former", role="Reviewer", is_active=False)
    story = ready_story(status=StoryStatus.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        actions.story_publish(story=story, by=former)


def test_a_step_based_on_an_old_version_is_refused(editor):
    story = ready_story()
    Story.objects.filter(pk=story.pk).update(version=5)
    with pytest.raises(actions.StaleStory):
        actions.story_submit(story=story, by=editor, expected_version=4)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT


def test_claiming_a_version_twice_fails_the_second_time():
    story = ready_story()
    actions.story_claim_version(story=story, expected_version=1)
    with pytest.raises(actions.StaleStory):
        actions.story_claim_version(
            story=Story.objects.get(pk=story.pk), expected_version=1
        )
    assert Story.objects.get(pk=story.pk).version == 2
