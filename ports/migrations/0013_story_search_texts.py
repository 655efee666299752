"""
Stories are searched in every language they are written in
(ports.models.search): one row per language of each live version, with a
document built for that language (a GIN index on PostgreSQL). It replaces
the English-only document every revision carried (migration 0005).
"""

import importlib

import django.db.models.deletion
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models


def index_live_versions(apps, schema_editor):
    # The rules that build a row are plain functions of a version's content.
    from ports.models.search import search_document, search_texts

    Story = apps.get_model("ports", "Story")
    StorySearchText = apps.get_model("ports", "StorySearchText")
    postgresql = schema_editor.connection.vendor == "postgresql"
    for story in Story.objects.filter(live_revision__isnull=False).select_related(
        "live_revision"
    ):
        revision = story.live_revision
        for language, title, summary, text in search_texts(revision.content):
            row = StorySearchText.objects.create(
                revision=revision,
                language=language,
                title=title,
                summary=summary,
                text=text,
            )
            if postgresql:
                StorySearchText.objects.filter(pk=row.pk).update(
                    document=search_document(language, title, summary, text)
                )


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX ports_storysearchtext_document "
        "ON ports_storysearchtext USING gin (document)"
    )
    schema_editor.execute("ALTER TABLE ports_storyrevision DROP COLUMN search_document")


def restore_revision_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    previous = importlib.import_module(
        "ports.migrations.0006_service_name_index_and_ranked_story_documents"
    )
    schema_editor.execute(
        "ALTER TABLE ports_storyrevision ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS ({previous.STORY_DOCUMENT}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX ports_storyrevision_search_document "
        "ON ports_storyrevision USING gin (search_document)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0012_known_uses_in_stories"),
    ]

    operations = [
        migrations.CreateModel(
            name="StorySearchText",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("language", models.CharField(max_length=10)),
                ("title", models.TextField()),
                ("summary", models.TextField(blank=True)),
                ("text", models.TextField(blank=True)),
                ("document", SearchVectorField(editable=False, null=True)),
                (
                    "revision",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_texts",
                        to="ports.storyrevision",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("revision", "language"),
                        name="search_text_once_per_language",
                    )
                ],
            },
        ),
        migrations.RunPython(add_index, restore_revision_documents),
        migrations.RunPython(index_live_versions, migrations.RunPython.noop),
    ]
