"""
A story's published versions: what readers saw, each with a permanent address
(/ports/<number>/v/<version>/).

Version N of a story is the Nth distinct revision that went live: the
revisions of its StoryTransition rows that put one live (publish, go_live),
in the order they did, each numbered the first time it went live. A revision
published again after an unpublish keeps its number; drafts, versions in
review and versions scheduled for later never went live, so they have none.
A version's date is when it first went live. A live revision without such
a record (written before the workflow recorded revisions) is numbered after
the others, dated by the story's go-live time.

Published versions are shown only while the story is live: unpublishing
(or expiry) takes every version of it off the site, as it takes the page.
"""

from dataclasses import dataclass
from datetime import datetime

from ports.models import Story, StoryRevision, StoryTransition

WENT_LIVE = (StoryTransition.Action.PUBLISH, StoryTransition.Action.GO_LIVE)


@dataclass(frozen=True)
class PublishedVersion:
    number: int
    revision_id: int
    published_at: datetime


def published_versions(
    *, port: int, live_revision_id: int | None = None, live_since=None
) -> list[PublishedVersion]:
    """
    The published versions of the port's story, first first (one query).
    `live_revision_id` and `live_since` (the story's live revision and its
    go-live time) number a live revision the records lack.
    """
    rows = (
        StoryTransition.objects.filter(
            story__port_id=port, action__in=WENT_LIVE, revision__isnull=False
        )
        .order_by("created_at", "id")
        .values_list("revision_id", "go_live_at", "created_at")
    )
    return number_versions(
        rows, live_revision_id=live_revision_id, live_since=live_since
    )


def number_versions(
    records, *, live_revision_id: int | None = None, live_since=None
) -> list[PublishedVersion]:
    """
    Versions from a story's going-live records, (revision id, go-live time,
    record time) in the order they were made, as published_versions() reads
    them.
    """
    found: dict[int, PublishedVersion] = {}
    for revision_id, go_live_at, created_at in records:
        if revision_id not in found:
            found[revision_id] = PublishedVersion(
                len(found) + 1, revision_id, go_live_at or created_at
            )
    if live_revision_id is not None and live_revision_id not in found:
        found[live_revision_id] = PublishedVersion(
            len(found) + 1, live_revision_id, live_since
        )
    return list(found.values())


def current_version(versions, live_revision_id) -> PublishedVersion | None:
    return next((v for v in versions if v.revision_id == live_revision_id), None)


@dataclass(frozen=True)
class StoryVersion:
    """A published version of a live story, with the story's current one."""

    story: Story
    version: PublishedVersion
    current: PublishedVersion
    content: dict


def story_version(port: int, number: int, *, now=None) -> StoryVersion | None:
    """Version `number` of the port's live story, or None (three queries)."""
    story = Story.objects.live(now).filter(port_id=port).first()
    if story is None:
        return None
    versions = published_versions(
        port=port,
        live_revision_id=story.live_revision_id,
        live_since=story.go_live_at,
    )
    if not 1 <= number <= len(versions):
        return None
    version = versions[number - 1]
    content = (
        StoryRevision.objects.filter(pk=version.revision_id)
        .values_list("content", flat=True)
        .get()
    )
    return StoryVersion(
        story=story,
        version=version,
        current=current_version(versions, story.live_revision_id),
        content=content,
    )
