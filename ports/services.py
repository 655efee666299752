"""Workflow steps that write stories. Admin, views and commands call these."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .choices import StoryStatus
from .models import Story, StoryRevision
from .revisions import story_snapshot


@transaction.atomic
def story_save_revision(*, story: Story, by: AbstractBaseUser | None) -> StoryRevision:
    """Record the story as it is now (with its citations, FAQs, related ports)."""
    return StoryRevision.objects.create(story=story, author=by, content=story_snapshot(story))


@transaction.atomic
def story_publish(
    *, story: Story, by: AbstractBaseUser | None, at: datetime | None = None
) -> Story:
    """
    Make the story's current content its live version.

    The snapshot replaces what readers see in a single update of the story
    row; with `at` in the future the new version goes live at that time.
    """
    now = timezone.now()
    revision = story_save_revision(story=story, by=by)
    story.live_revision = revision
    story.status = StoryStatus.PUBLISHED
    story.published_at = story.published_at or now
    story.go_live_at = at or now
    story.last_reviewed_at = now
    story.save(
        update_fields=[
            "live_revision",
            "status",
            "published_at",
            "go_live_at",
            "last_reviewed_at",
            "updated_at",
        ]
    )
    return story
