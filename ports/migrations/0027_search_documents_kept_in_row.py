"""
Story search documents stay in their row (PostgreSQL storage MAIN).

Rows wider than about 2 kB are moved out of line by PostgreSQL piece by
piece, and a search text's document was moved with its text: a Japanese or
Chinese document of bigrams (about 2.3 kB) was then fetched from the TOAST
table for every matching story, twice, to be ranked. MAIN moves the text
out first and the document only if the row still does not fit a page.

Existing documents are written again so that they move in: a value stored
out of line stays there until it is replaced.
"""

from django.db import migrations

TABLE = "ports_storysearchtext"


def keep_in_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN document SET STORAGE MAIN")
    # Concatenating nothing makes a new value, which is stored by the new rule.
    schema_editor.execute(f"UPDATE {TABLE} SET document = document || ''::tsvector")


def allow_out_of_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ALTER COLUMN document SET STORAGE EXTENDED"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0026_observed_ports_without_search_document"),
    ]

    operations = [
        migrations.RunPython(keep_in_row, allow_out_of_row, elidable=False),
    ]
