"""
A live version's known uses are part of its search text in every language
(ports.models.search.search_texts): the rows of live versions that have any
are built again.
"""

from django.db import migrations


def index_known_uses(apps, schema_editor):
    # The rules that build a row are plain functions of a version's content.
    from ports.models.search import search_document, search_texts

    Story = apps.get_model("ports", "Story")
    StorySearchText = apps.get_model("ports", "StorySearchText")
    postgresql = schema_editor.connection.vendor == "postgresql"
    for story in Story.objects.filter(live_revision__isnull=False).select_related(
        "live_revision"
    ):
        revision = story.live_revision
        if not revision.content.get("known_uses"):
            continue
        StorySearchText.objects.filter(revision=revision).delete()
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


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0018_observed_search_document"),
    ]

    operations = [
        migrations.RunPython(index_known_uses, migrations.RunPython.noop),
    ]
