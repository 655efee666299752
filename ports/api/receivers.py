"""
The downloads follow what readers see: an import, a story going live or
down, or a live story's dates changing queues a new export once the change
is committed.
"""

from django.db import transaction
from django.dispatch import receiver

from ports.editorial.signals import (
    live_version_changed,
    story_published,
    story_unpublished,
)
from ports.observed.signals import observed_imported
from ports.registry.signals import registry_imported


@receiver(
    [
        registry_imported,
        observed_imported,
        story_published,
        story_unpublished,
        live_version_changed,
    ]
)
def export_after_change(sender, **kwargs):
    from ports.tasks import export_open_data

    transaction.on_commit(export_open_data.enqueue)
