"""
The editorial workflow's rules: who may take which step on a story in which
state, and what a story must satisfy before review and publication.

ports.editorial.actions enforces these on every write; the admin asks them which
buttons to show. A user of None is the system itself (the publish_scheduled
command, loading demo content) and is trusted.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.utils import build_localized_fieldname

from ports.choices import StoryStatus
from ports.editorial.markdown import footnote_numbers
from ports.languages import SOURCE_LANGUAGE, language_codes
from ports.models import FeedbackVote, Story, StoryTransition

Action = StoryTransition.Action

SUBMIT_PERMISSION = "ports.submit_story"
PUBLISH_PERMISSION = "ports.publish_story"
CHANGE_PERMISSION = "ports.change_story"
VIEW_PERMISSION = "ports.view_story"

# The steps people take by hand: the permission each needs and the states
# of the story it applies to (as a test on the story).
MANUAL_STEPS = {
    Action.SUBMIT: (SUBMIT_PERMISSION, lambda story: story.status == StoryStatus.DRAFT),
    Action.PUBLISH: (
        PUBLISH_PERMISSION,
        lambda story: story.status == StoryStatus.IN_REVIEW,
    ),
    Action.SEND_BACK: (
        PUBLISH_PERMISSION,
        lambda story: story.status == StoryStatus.IN_REVIEW,
    ),
    Action.UNPUBLISH: (
        PUBLISH_PERMISSION,
        lambda story: bool(story.live_revision_id or story.scheduled_revision_id),
    ),
    Action.REVIEWED: (PUBLISH_PERMISSION, lambda story: bool(story.live_revision_id)),
}


def _active(user):
    return user is not None and user.is_active and user.is_staff


def can_view(user) -> bool:
    return _active(user) and user.has_perm(VIEW_PERMISSION)


def can_edit(user, story: Story | None = None) -> bool:
    """
    Whether the user may change the story's content (or add a story).

    A story in review is frozen for editors so that reviewers approve what
    they read; reviewers may still correct it.
    """
    if not _active(user):
        return False
    if story is None:
        return user.has_perm("ports.add_story")
    if not user.has_perm(CHANGE_PERMISSION):
        return False
    return story.status != StoryStatus.IN_REVIEW or user.has_perm(PUBLISH_PERMISSION)


def can_step(user, action: str, story: Story) -> bool:
    """Whether the user may take this workflow step on the story now."""
    permission, applies = MANUAL_STEPS[action]
    return _active(user) and user.has_perm(permission) and applies(story)


def allowed_steps(user, story: Story) -> list[str]:
    return [action for action in MANUAL_STEPS if can_step(user, action, story)]


def check_step(user, action: str, story: Story) -> None:
    """Raise PermissionDenied or ValidationError unless the step is allowed."""
    if user is None:
        return
    permission, applies = MANUAL_STEPS[action]
    if not (_active(user) and user.has_perm(permission)):
        raise PermissionDenied
    if not applies(story):
        raise ValidationError(
            _("A story that is %(status)s cannot be %(step)s.")
            % {
                "status": story.get_status_display().lower(),
                "step": Action(action).label.lower(),
            },
            code="invalid_state",
        )


def check_edit(user, story: Story) -> None:
    if user is not None and not can_edit(user, story):
        raise PermissionDenied


def story_problems(story: Story) -> list[str]:
    """
    What stops the story (as saved) from going to review or being published.

    Every footnote marker needs a citation of that number, every citation
    must be cited in the English body, citation links must be http(s), and
    the English title, summary and body must be written.
    """
    problems = []
    labels = {"title": _("title"), "summary": _("summary"), "body": _("body")}
    for field, label in labels.items():
        value = getattr(story, build_localized_fieldname(field, SOURCE_LANGUAGE)) or ""
        if not value.strip():
            problems.append(_("The English %(field)s is empty.") % {"field": label})

    citations = list(story.citations.order_by("position"))
    numbers = {citation.position for citation in citations}
    names = dict(settings.LANGUAGES)
    for code in language_codes():
        body = getattr(story, build_localized_fieldname("body", code)) or ""
        for number in sorted(footnote_numbers(body) - numbers):
            problems.append(
                _(
                    "The %(language)s body cites [^%(number)s] "
                    "but there is no citation %(number)s."
                )
                % {"language": names[code], "number": number}
            )
    english_markers = footnote_numbers(
        getattr(story, build_localized_fieldname("body", SOURCE_LANGUAGE)) or ""
    )
    is_web_url = URLValidator(schemes=["http", "https"])
    for citation in citations:
        if citation.position not in english_markers:
            problems.append(
                _(
                    "Citation %(number)s (%(title)s) is not cited in the English body: "
                    "add [^%(number)s] where it supports the text, or remove it."
                )
                % {"number": citation.position, "title": citation.title}
            )
        if citation.url:
            try:
                is_web_url(citation.url)
            except ValidationError:
                problems.append(
                    _(
                        "Citation %(number)s's URL is not a valid http:// or https:// "
                        "address: %(url)s"
                    )
                    % {"number": citation.position, "url": citation.url}
                )
    for use in story.known_uses.all():
        try:
            is_web_url(use.source_url)
        except ValidationError:
            problems.append(
                _(
                    "The source of the known use %(name)s is not a valid http:// or "
                    "https:// address: %(url)s"
                )
                % {"name": use.name, "url": use.source_url}
            )
    return problems


def check_content(story: Story) -> None:
    problems = story_problems(story)
    if problems:
        raise ValidationError(problems, code="not_ready")


@dataclass(frozen=True)
class WorkQueue:
    key: str
    title: str
    permission: str
    filter: Callable  # (stories queryset, user) -> queryset


QUEUES = [
    WorkQueue(
        "awaiting_review",
        gettext_lazy("Awaiting my review"),
        PUBLISH_PERMISSION,
        lambda stories, user: stories.awaiting_review(),
    ),
    WorkQueue(
        "sent_back",
        gettext_lazy("My drafts sent back"),
        CHANGE_PERMISSION,
        lambda stories, user: stories.sent_back().written_by(user),
    ),
    WorkQueue(
        "scheduled",
        gettext_lazy("Scheduled"),
        VIEW_PERMISSION,
        lambda stories, user: stories.scheduled(),
    ),
    WorkQueue(
        "registry_changed",
        gettext_lazy("Registry changed since last review"),
        VIEW_PERMISSION,
        lambda stories, user: stories.registry_changed(),
    ),
    WorkQueue(
        "review_overdue",
        gettext_lazy("Not reviewed for 12 months"),
        VIEW_PERMISSION,
        lambda stories, user: stories.review_overdue(),
    ),
    WorkQueue(
        "needs_attention",
        gettext_lazy("Needs attention: readers find these unhelpful"),
        VIEW_PERMISSION,
        lambda stories, user: stories.filter(
            pk__in=FeedbackVote.objects.needing_attention().values("story_id")
        ),
    ),
]


@dataclass(frozen=True)
class QueueView:
    queue: WorkQueue
    count: int
    stories: list


@dataclass(frozen=True)
class AttentionRow:
    """A story in one language that readers find unhelpful."""

    story: Story
    language: str
    votes: int
    helpful: int
    comments: list  # (created_at, comment), newest first

    @property
    def helpful_percent(self) -> float:
        return round(100 * self.helpful / self.votes, 1)

    @property
    def language_name(self) -> str:
        return str(dict(settings.LANGUAGES).get(self.language, self.language))


@dataclass(frozen=True)
class AttentionView:
    """
    The "Needs attention" queue: one row per story and language, and the
    count of stories, as "See all" lists them; `more`: rows not shown.
    """

    queue: WorkQueue
    count: int
    rows: list[AttentionRow]
    share: int
    min_votes: int
    days: int
    more: bool = False


def needs_attention(*, limit=8) -> AttentionView:
    """
    The stories whose readers, in a language, mostly answer that the page did
    not help (see FeedbackVote.objects.needing_attention), least helpful
    first, each with its latest comments from the same period.
    """
    queue = next(queue for queue in QUEUES if queue.key == "needs_attention")
    since = timezone.now() - datetime.timedelta(days=settings.FEEDBACK_ATTENTION_DAYS)
    groups = FeedbackVote.objects.needing_attention(since=since)
    first = list(groups[: limit + 1])
    more = len(first) > limit
    first = first[:limit]
    stories = Story.objects.select_related("port").in_bulk(
        {group["story_id"] for group in first}
    )
    pairs = [(group["story_id"], group["language"]) for group in first]
    comments = FeedbackVote.objects.filter(created_at__gte=since).latest_comments(pairs)
    rows = [
        AttentionRow(
            story=stories[group["story_id"]],
            language=group["language"],
            votes=group["votes"],
            helpful=group["helpful_votes"],
            comments=comments[group["story_id"], group["language"]],
        )
        for group in first
    ]
    count = (
        Story.objects.filter(pk__in=groups.values("story_id")).count()
        if more
        else len(stories)
    )
    return AttentionView(
        queue,
        count,
        rows,
        share=settings.FEEDBACK_ATTENTION_SHARE,
        min_votes=settings.FEEDBACK_ATTENTION_MIN_VOTES,
        days=settings.FEEDBACK_ATTENTION_DAYS,
        more=more,
    )


def work_queues(user, *, limit=8) -> list[QueueView | AttentionView]:
    """The work queues this user can act on, each with its first stories."""
    if not can_view(user):
        return []
    views = []
    for queue in QUEUES:
        if not user.has_perm(queue.permission):
            continue
        if queue.key == "needs_attention":
            views.append(needs_attention(limit=limit))
            continue
        stories = queue.filter(Story.objects.select_related("port"), user).order_by(
            "updated_at", "pk"
        )
        views.append(QueueView(queue, stories.count(), list(stories[:limit])))
    return views
