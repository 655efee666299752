"""
The downloads follow what readers see: an import, a story going live or
down, or a live story's review date changing queues a new export once the
change is committed.

One export at a time waits in the queue: however many changes commit before
the worker starts it, it exports them all. The mark that one is waiting
lives in Django's cache, which every app server shares; the export removes
it as it starts, so a change committed during an export queues the next.

A task backend that runs tasks at once (TASKS_IMMEDIATE, development's
default) would export inside every publish, for seconds with the whole
registry, and could not gather changes: there nothing is exported by
itself, and `manage.py export_datasets` writes the downloads.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.tasks import default_task_backend

from ports.editorial.signals import (
    live_version_changed,
    story_published,
    story_unpublished,
)
from ports.observed.signals import observed_imported
from ports.registry.signals import registry_imported

logger = logging.getLogger(__name__)

EXPORT_QUEUED_KEY = "open-data:export-queued"
# How long the mark holds if its export never starts (a lost task): then a
# change queues one again.
EXPORT_QUEUED_SECONDS = 10 * 60


def _enqueue_export():
    from ports.tasks import export_open_data

    try:
        first = cache.add(EXPORT_QUEUED_KEY, True, EXPORT_QUEUED_SECONDS)
    except Exception as error:  # Redis down: an export too many, never one too few
        logger.warning("Cache unavailable, an export is queued anyway: %r", error)
        first = True
    if first:
        export_open_data.enqueue()


def queue_export():
    """Once the change commits, queue an export unless one is waiting."""
    if default_task_backend.supports_defer:
        transaction.on_commit(_enqueue_export)


@receiver(
    [
        registry_imported,
        observed_imported,
        story_published,
        story_unpublished,
    ]
)
def export_after_change(sender, **kwargs):
    queue_export()


@receiver(live_version_changed)
def export_after_live_change(sender, story, **kwargs):
    """
    A live story's review date is in the downloads. A version scheduled for
    later is not, nor anything of a story readers cannot see: it is exported
    when it goes live.
    """
    if story.is_live():
        queue_export()
