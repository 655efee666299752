"""
Workflow steps that write stories. Admin, views and commands call these.

Every step locks the story's row, checks who may take it and whether the
story is in a state it applies to (ports.editorial.workflow), writes the story in one
UPDATE and records a StoryTransition. `by=None` is the system itself
(publish_scheduled, demo content) and is trusted.
"""

from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from ports.choices import StoryStatus
from ports.editorial import signals, translations, workflow
from ports.editorial.revisions import same_content, story_snapshot
from ports.languages import language_codes
from ports.models import (
    FAQ,
    Citation,
    KnownUse,
    Port,
    RelatedPort,
    Story,
    StoryRevision,
    StorySearchText,
    StoryTransition,
)

Action = StoryTransition.Action
User = AbstractBaseUser | None


class StaleStory(Exception):
    """The story was saved by someone else since the editor loaded it."""

    def __init__(self, current: Story):
        super().__init__(f"story {current.pk} is at version {current.version}")
        self.current = current


def _lock(story: Story, expected_version: int | None = None) -> Story:
    locked = Story.objects.select_for_update().get(pk=story.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleStory(locked)
    return locked


def _record(
    story: Story,
    *,
    by: User,
    action: str,
    from_status: str,
    comment: str = "",
    revision: StoryRevision | None = None,
    go_live_at: datetime | None = None,
    expire_at: datetime | None = None,
    at: datetime | None = None,
) -> StoryTransition:
    return StoryTransition.objects.create(
        story=story,
        user=by,
        action=action,
        from_status=from_status,
        to_status=story.status,
        comment=comment,
        revision=revision,
        go_live_at=go_live_at,
        expire_at=expire_at,
        created_at=at or timezone.now(),
    )


def _move(story: Story, to_status: str, *, by: User, action: str, **details) -> None:
    """
    A step that changes only the story's status, and its record (`details`:
    the comment or revision for _record).
    """
    from_status = story.status
    story.status = to_status
    story.save(update_fields=["status", "updated_at"])
    _record(story, by=by, action=action, from_status=from_status, **details)


def admin_time(moment: datetime) -> str:
    """A time as the admin shows every date: its format, in local time."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _log(by: User, story: Story, message: str) -> None:
    """Note a publishing step in the admin's own log (LogEntry needs a user)."""
    if by is not None:
        LogEntry.objects.log_actions(
            user_id=by.pk, queryset=[story], action_flag=CHANGE, change_message=message
        )


def _current_revision(story: Story, by: User) -> StoryRevision:
    """The latest revision if it is the working copy, else a new one."""
    content = story_snapshot(story)
    latest = story.revisions.order_by("-created_at", "-id").first()
    if latest is not None and latest.content == content:
        return latest
    return StoryRevision.objects.create(story=story, author=by, content=content)


@transaction.atomic
def story_lock(*, story_id: int, expected_version: int) -> Story:
    """
    Lock the story's row for a save based on `expected_version`.

    Raises StaleStory when someone saved since: the caller must not save.
    Call inside the transaction that saves, so the lock lasts until commit.
    """
    return _lock(Story(pk=story_id), expected_version)


@transaction.atomic
def story_claim_version(*, story: Story, expected_version: int) -> Story:
    """
    Move the story to the next version, only if it is still at `expected_version`.

    The conditional UPDATE is the last guard against a lost update on
    databases without row locks (SQLite).
    """
    claimed = Story.objects.filter(pk=story.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not claimed:
        raise StaleStory(Story.objects.get(pk=story.pk))
    story.version = expected_version + 1
    return story


@transaction.atomic
def story_save_revision(*, story: Story, by: User) -> StoryRevision:
    """Record the story as it is now (with its citations, FAQs, related ports)."""
    return StoryRevision.objects.create(
        story=story, author=by, content=story_snapshot(story)
    )


# What publishing, scheduling and unpublishing change on the story row.
PUBLICATION_FIELDS = (
    "status",
    "live_revision",
    "go_live_at",
    "expire_at",
    "scheduled_revision",
    "scheduled_go_live_at",
    "scheduled_expire_at",
    "updated_at",
)


@transaction.atomic
def story_record_save(*, story: Story, by: User) -> StoryRevision:
    """
    Record an editor's save: a new revision, and a new draft if it differs
    from what is live or scheduled (which stays live or scheduled meanwhile).
    """
    story = _lock(story)
    revision = story_save_revision(story=story, by=by)
    approved = {
        StoryStatus.PUBLISHED: story.live_revision,
        StoryStatus.SCHEDULED: story.scheduled_revision,
    }.get(story.status)
    if approved is not None and not same_content(approved.content, revision.content):
        _move(story, StoryStatus.DRAFT, by=by, action=Action.EDIT, revision=revision)
    return revision


@transaction.atomic
def story_submit(
    *, story: Story, by: User, comment: str = "", expected_version: int | None = None
) -> Story:
    """Send a draft to the reviewers, once it passes the pre-publication checks."""
    story = _lock(story, expected_version)
    workflow.check_step(by, Action.SUBMIT, story)
    workflow.check_content(story)
    revision = _current_revision(story, by)
    _move(
        story,
        StoryStatus.IN_REVIEW,
        by=by,
        action=Action.SUBMIT,
        comment=comment,
        revision=revision,
    )
    return story


@transaction.atomic
def story_publish(
    *,
    story: Story,
    by: User,
    at: datetime | None = None,
    expire_at: datetime | None = None,
    comment: str = "",
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Story:
    """
    Approve the story's current content.

    Now (or `at` in the past): the snapshot replaces what readers see in a
    single UPDATE of the story row. With `at` in the future it is scheduled
    instead, and readers keep seeing the live version (if any) until then.
    `expire_at` is when the page falls back to the port's facts alone.
    """
    now = now or timezone.now()
    story = _lock(story, expected_version)
    if by is not None:
        workflow.check_step(by, Action.PUBLISH, story)
        workflow.check_content(story)
    go_live_at = at or now
    if expire_at is not None and expire_at <= max(go_live_at, now):
        raise ValidationError(
            _("The expiry time must be after the go-live time and in the future."),
            code="expiry_before_go_live",
        )
    revision = _current_revision(story, by)
    from_status = story.status
    story.last_reviewed_at = now
    if go_live_at > now:
        story.status = StoryStatus.SCHEDULED
        story.scheduled_revision = revision
        story.scheduled_go_live_at = go_live_at
        story.scheduled_expire_at = expire_at
        story.save(update_fields=[*PUBLICATION_FIELDS, "last_reviewed_at"])
        action, message = (
            Action.SCHEDULE,
            _("Scheduled to go live at %(time)s") % {"time": admin_time(go_live_at)},
        )
    else:
        story.status = StoryStatus.PUBLISHED
        # A version published now supersedes any older one waiting for its time.
        _make_live(
            story,
            revision=revision,
            go_live_at=go_live_at,
            expire_at=expire_at,
            also=("last_reviewed_at",),
        )
        action, message = Action.PUBLISH, _("Published.")
    _record(
        story,
        by=by,
        action=action,
        from_status=from_status,
        comment=comment,
        revision=revision,
        go_live_at=go_live_at,
        expire_at=expire_at,
        at=now,
    )
    _log(by, story, message)
    if action == Action.SCHEDULE:
        # The live page now changes at the scheduled time: caches must know.
        signals.live_version_changed.send(sender=Story, story=story)
    else:
        signals.story_published.send(sender=Story, story=story)
    return story


def _make_live(
    story: Story,
    *,
    revision: StoryRevision,
    go_live_at: datetime,
    expire_at: datetime | None,
    also: tuple[str, ...] = (),
) -> None:
    """
    The one way a version goes live, published now or at its scheduled
    time: it replaces what readers see in a single UPDATE of the story row,
    and any version waiting for its time is dropped. The caller has set the
    status; `also` names other fields it changed.
    """
    story.live_revision = revision
    story.live_known_uses = bool(revision.content.get("known_uses"))
    story.go_live_at = go_live_at
    story.expire_at = expire_at
    story.published_at = story.published_at or go_live_at
    story.scheduled_revision = None
    story.scheduled_go_live_at = story.scheduled_expire_at = None
    story.save(
        update_fields=[*PUBLICATION_FIELDS, "published_at", "live_known_uses", *also]
    )
    StorySearchText.objects.index(revision)


@transaction.atomic
def story_send_back(
    *, story: Story, by: User, comment: str, expected_version: int | None = None
) -> Story:
    """Return a story in review to its editors, saying what to change."""
    if not comment.strip():
        raise ValidationError(
            _("Say what the editor should change: a comment is required."),
            code="comment_required",
        )
    story = _lock(story, expected_version)
    workflow.check_step(by, Action.SEND_BACK, story)
    _move(story, StoryStatus.DRAFT, by=by, action=Action.SEND_BACK, comment=comment)
    return story


@transaction.atomic
def story_unpublish(
    *, story: Story, by: User, comment: str = "", expected_version: int | None = None
) -> Story:
    """Take the story off the port's page now, and cancel any scheduled version."""
    story = _lock(story, expected_version)
    workflow.check_step(by, Action.UNPUBLISH, story)
    from_status = story.status
    if story.status in (StoryStatus.PUBLISHED, StoryStatus.SCHEDULED):
        story.status = StoryStatus.DRAFT
    story.live_revision = story.scheduled_revision = None
    story.go_live_at = story.expire_at = None
    story.scheduled_go_live_at = story.scheduled_expire_at = None
    story.save(update_fields=PUBLICATION_FIELDS)
    _record(
        story, by=by, action=Action.UNPUBLISH, from_status=from_status, comment=comment
    )
    _log(by, story, _("Unpublished."))
    signals.story_unpublished.send(sender=Story, story=story)
    return story


@transaction.atomic
def story_mark_reviewed(
    *, story: Story, by: User, comment: str = "", now: datetime | None = None
) -> Story:
    """Confirm that the live story is still accurate, without changing it."""
    now = now or timezone.now()
    story = _lock(story)
    workflow.check_step(by, Action.REVIEWED, story)
    story.last_reviewed_at = now
    story.save(update_fields=["last_reviewed_at", "updated_at"])
    _record(
        story,
        by=by,
        action=Action.REVIEWED,
        from_status=story.status,
        comment=comment,
        at=now,
    )
    signals.live_version_changed.send(sender=Story, story=story)  # its date
    return story


def _restore_translations(instance, values: dict, field: str) -> None:
    for code in language_codes():
        setattr(instance, build_localized_fieldname(field, code), values.get(code, ""))


def _restore_edit_times(story: Story, content: dict) -> None:
    """
    Give restored text the edit times it had in the revision, so a translation
    that was current then is current again rather than older than an English
    re-stamped now. A version keeps one time per language (its newest field's),
    which each of the language's fields gets. Versions saved before edit times
    were kept have none: their restored text counts as edited now.
    """
    times = content.get("edited_at")
    if times is None:
        return
    stamps = dict(story.translation_edited_at or {})
    for code in language_codes():
        for field in ("title", "summary", "body"):
            name = build_localized_fieldname(field, code)
            if code in times:
                stamps[name] = times[code]
            else:
                stamps.pop(name, None)  # never edited in that version
    story.translation_edited_at = stamps
    # The restored values are the baseline: save() stamps nothing over them.
    story._loaded_translations = translations.localized_values(story)


@transaction.atomic
def story_revert(*, story: Story, revision: StoryRevision, by: User) -> Story:
    """
    Make a revision's content the working copy again, as a new draft.

    Citations, FAQs, related ports and known uses are replaced by the revision's; what
    is live or scheduled is untouched until the new draft is approved.
    """
    story = _lock(story)
    workflow.check_edit(by, story)
    if revision.story_id != story.pk:
        raise ValidationError(
            _("That revision belongs to another story."), code="wrong_story"
        )
    content = revision.content
    for field in ("title", "summary", "body"):
        _restore_translations(story, content[field], field)
    _restore_edit_times(story, content)
    story.citations.all().delete()
    Citation.objects.bulk_create(
        Citation(
            story=story,
            position=item["number"],
            title=item["title"],
            publisher=item["publisher"],
            url=item["url"],
            accessed_on=item["accessed_on"] or None,
            note=item["note"],
        )
        for item in content["citations"]
    )
    story.faqs.all().delete()
    for position, item in enumerate(content["faqs"], start=1):
        faq = FAQ(story=story, position=position)
        _restore_translations(faq, item["question"], "question")
        _restore_translations(faq, item["answer"], "answer")
        faq.save()
    story.related_ports.all().delete()
    Port.objects.ensure(item["port"] for item in content["related"])
    for position, item in enumerate(content["related"], start=1):
        related = RelatedPort(story=story, port_id=item["port"], position=position)
        _restore_translations(related, item["note"], "note")
        related.save()
    story.known_uses.all().delete()
    KnownUse.objects.bulk_create(
        KnownUse(story=story, position=position, **item)
        for position, item in enumerate(content.get("known_uses", []), start=1)
    )
    from_status = story.status
    story.status = StoryStatus.DRAFT
    story.version += 1
    story.save()
    new_revision = story_save_revision(story=story, by=by)
    _record(
        story,
        by=by,
        action=Action.REVERT,
        from_status=from_status,
        comment=_("Reverted to the revision of %(time)s (#%(id)s).")
        % {
            "time": admin_time(revision.created_at),
            "id": revision.pk,
        },
        revision=new_revision,
    )
    return story


def stories_publish_due(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """
    Put scheduled versions live and take expired ones down, as of `now`.

    Each story is handled in its own transaction under a row lock that
    concurrent runs skip, and its state is re-checked under the lock, so
    running this twice, or twice at once, does each step once.
    Returns the ids of the stories published and expired.
    """
    now = now or timezone.now()
    published, expired = [], []
    due = Story.objects.filter(
        scheduled_revision__isnull=False, scheduled_go_live_at__lte=now
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            story = due.select_for_update(skip_locked=True).filter(pk=pk).first()
            if story is not None:
                _go_live(story, now)
                published.append(pk)
    ended = Story.objects.filter(live_revision__isnull=False, expire_at__lte=now)
    for pk in ended.values_list("pk", flat=True):
        with transaction.atomic():
            story = ended.select_for_update(skip_locked=True).filter(pk=pk).first()
            if story is not None:
                _expire(story, now)
                expired.append(pk)
    return published, expired


def _go_live(story: Story, now: datetime) -> None:
    scheduler = (
        story.transitions.filter(
            action=Action.SCHEDULE, revision=story.scheduled_revision_id
        )
        .select_related("user")
        .first()
    )
    revision = story.scheduled_revision
    from_status = story.status
    if story.status == StoryStatus.SCHEDULED:
        story.status = StoryStatus.PUBLISHED
    _make_live(
        story,
        revision=revision,
        go_live_at=story.scheduled_go_live_at,
        expire_at=story.scheduled_expire_at,
    )
    _record(
        story,
        by=None,
        action=Action.GO_LIVE,
        from_status=from_status,
        revision=revision,
        go_live_at=story.go_live_at,
        expire_at=story.expire_at,
        at=now,
    )
    _log(scheduler.user if scheduler else None, story, _("Went live as scheduled."))
    signals.story_published.send(sender=Story, story=story)


def _expire(story: Story, now: datetime) -> None:
    from_status = story.status
    if story.status == StoryStatus.PUBLISHED:
        story.status = StoryStatus.DRAFT
    expired_at = story.expire_at
    story.live_revision = None
    story.go_live_at = story.expire_at = None
    story.save(
        update_fields=[
            "status",
            "live_revision",
            "go_live_at",
            "expire_at",
            "updated_at",
        ]
    )
    _record(
        story,
        by=None,
        action=Action.EXPIRE,
        from_status=from_status,
        expire_at=expired_at,
        at=now,
    )
    signals.story_unpublished.send(sender=Story, story=story)
