"""
A full-text search document for observed ports on PostgreSQL
(ports.reader.search), nothing elsewhere: a stored generated tsvector column
and its GIN index, as migration 0005 gives the registry.

The name and the services file's aliases weigh A, nmap's comment B. Slashes
become spaces first: the parser reads "DHCP/Bootstrap" as a file path, one
word that "dhcp" would not find.
"""

from django.db import migrations

TABLE = "ports_observedport"
DOCUMENT = """
setweight(to_tsvector('english'::regconfig, translate(name, '/', ' ')), 'A')
|| setweight(to_tsvector('english'::regconfig, aliases), 'A')
|| setweight(to_tsvector('english'::regconfig, translate(comment, '/', ' ')), 'B')
"""


def add_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS ({DOCUMENT}) STORED"
    )
    schema_editor.execute(
        f"CREATE INDEX {TABLE}_search_document ON {TABLE} USING gin (search_document)"
    )


def remove_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0017_observed_data_permissions"),
    ]

    operations = [
        migrations.RunPython(add_document, remove_document, elidable=False),
    ]
