"""Purges for what editors change outside the story workflow."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ports.cache import tags
from ports.cache.purging import purge


@receiver([post_save, post_delete], sender="ports.FeedbackPrompt")
def feedback_prompt_changed(sender, **kwargs):
    purge([tags.PORTS])  # every port page asks it


@receiver([post_save, post_delete], sender="ports.KnownUse")
def known_use_changed(sender, instance, **kwargs):
    purge(tags.ports_changed([instance.port_id]))
