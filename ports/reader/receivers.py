"""
Reader search listens: what makes its registry entries (ports.models.search.
RegistrySearchEntry) changes, and they are read again, in the same
transaction.
"""

from django.db import connections
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from ports.models import RegistrySearchEntry
from ports.observed.signals import observed_imported
from ports.registry.signals import registry_imported


@receiver(registry_imported)
@receiver(observed_imported)
# Imports write in bulk, announced by their own signals; a row saved one by
# one (in the shell, say) is announced by Django.
@receiver(post_save, sender="ports.Assignment")
@receiver(post_save, sender="ports.ObservedPort")
def refresh_registry_search(sender, raw=False, **kwargs):
    if raw:
        return  # a fixture's rows, loaded one by one: `migrate` refreshes after
    RegistrySearchEntry.objects.refresh()


@receiver(post_migrate)
def refresh_after_migrate(sender, app_config, using, **kwargs):
    """
    After migrations, and after `flush` empties the tables (tests between
    browser tests), as far as the view exists at the migration reached.
    """
    entries = RegistrySearchEntry._meta
    if app_config != entries.app_config:
        return  # the signal is sent once per app
    if entries.db_table in connections[using].introspection.table_names():
        RegistrySearchEntry.objects.db_manager(using).refresh()
