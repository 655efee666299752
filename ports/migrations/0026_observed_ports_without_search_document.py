"""
Observed ports lose their own search document (migration 0018): search reads
their names from the registry's search view (migration 0024), which builds
one document per port from all its rows.
"""

from importlib import import_module

from django.db import migrations

observed_document = import_module("ports.migrations.0018_observed_search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0025_story_live_index"),
    ]

    operations = [
        migrations.RunPython(
            observed_document.remove_document,
            observed_document.add_document,
            elidable=False,
        ),
    ]
