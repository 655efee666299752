"""
The caches listen: every change readers can see purges the pages that show
it (ports.cache.tags says which), whoever made it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ports.cache import tags
from ports.cache.purging import purge
from ports.editorial.signals import (
    live_version_changed,
    story_published,
    story_unpublished,
)
from ports.observed.signals import observed_imported
from ports.registry.signals import registry_imported


@receiver([story_published, story_unpublished, live_version_changed])
def purge_story_pages(sender, story, **kwargs):
    purge(tags.story_changed(story.port_id))


@receiver(registry_imported)
def purge_registry_pages(sender, ranges, **kwargs):
    purge([*tags.registry_changed(ranges), tags.REGISTRY])


@receiver(observed_imported)
def purge_observed_pages(sender, ports, **kwargs):
    purge(tags.observed_changed(ports))


# What editors change outside the story workflow.


@receiver([post_save, post_delete], sender="ports.FeedbackPrompt")
def purge_port_pages(sender, **kwargs):
    purge([tags.PORTS])  # every port page asks it


@receiver([post_save, post_delete], sender="ports.SearchSynonym")
@receiver([post_save, post_delete], sender="ports.SearchPromotion")
@receiver([post_save, post_delete], sender="ports.PromotedPort")
def purge_search_pages(sender, **kwargs):
    # Search pages are listings; what changed may be an approval.
    purge([tags.LISTINGS])
