"""
Full-text search documents for PostgreSQL (ports.reader.search), nothing elsewhere.

Each table gets a stored generated tsvector column, computed by the database
whenever a row is written, and a GIN index on it. A story revision's
document is built from its snapshot (title, summary, FAQs and body in
English), so only what was published is ever searched. The columns are not
model fields: Django never writes them, and SQLite does without them.
"""

from django.db import migrations

STORY_DOCUMENT = """
setweight(to_tsvector('english'::regconfig, coalesce(content #>> '{title,en}', '')), 'A')
|| setweight(to_tsvector('english'::regconfig, coalesce(content #>> '{summary,en}', '')), 'B')
|| setweight(to_tsvector('english'::regconfig,
       coalesce(jsonb_path_query_array(content, '$.faqs[*].*.en'), '[]'::jsonb)), 'C')
|| setweight(to_tsvector('english'::regconfig, coalesce(content #>> '{body,en}', '')), 'D')
"""

ASSIGNMENT_DOCUMENT = """
setweight(to_tsvector('english'::regconfig, coalesce(service_name, '')), 'A')
|| setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
|| setweight(to_tsvector('english'::regconfig,
       coalesce(assignee, '') || ' ' || coalesce(contact, '')), 'C')
"""

TABLES = {
    "ports_storyrevision": STORY_DOCUMENT,
    "ports_assignment": ASSIGNMENT_DOCUMENT,
}


def add_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, document in TABLES.items():
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({document}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)"
        )


def remove_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0004_editorial_roles"),
    ]

    operations = [
        migrations.RunPython(add_documents, remove_documents, elidable=False),
    ]
