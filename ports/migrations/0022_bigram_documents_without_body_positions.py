"""
Japanese and Chinese search documents keep no positions for their bodies,
as the other languages' do: a word is matched as all of its pairs, not as a
phrase (ports.models.search.search_document). Their documents are rebuilt.
"""

from django.db import migrations


def rebuild_bigram_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from ports.models.search import BIGRAM_LANGUAGES, search_document

    StorySearchText = apps.get_model("ports", "StorySearchText")
    rows = StorySearchText.objects.filter(language__in=BIGRAM_LANGUAGES)
    for row in rows.only("language", "title", "summary", "text"):
        rows.filter(pk=row.pk).update(
            document=search_document(row.language, row.title, row.summary, row.text)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0021_story_live_known_uses"),
    ]

    operations = [
        migrations.RunPython(rebuild_bigram_documents, migrations.RunPython.noop),
    ]
