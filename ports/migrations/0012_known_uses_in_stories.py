"""
Known uses become part of their port's story, reviewed and versioned with it.

Uses that were on a port with a story join that story; on a port without
one, a draft story ("Port N") is made to hold them. On a port whose story is
live, they stay visible: they are added to the live (and scheduled) version's
content as well as to the working copy's latest revision, so the next change
to them is the first to go through review. On a port without a live story
they leave the reader's page until a reviewer publishes that story (a held
story has nothing else to show: publishing an empty "Port N" unreviewed
would be worse); the migration prints those ports.
"""

import django.db.models.deletion
from django.db import migrations, models


def _content_use(use):
    return {
        "kind": use.kind,
        "name": use.name,
        "description": use.description,
        "source_title": use.source_title,
        "source_url": use.source_url,
    }


def uses_into_stories(apps, schema_editor):
    KnownUse = apps.get_model("ports", "KnownUse")
    Story = apps.get_model("ports", "Story")
    StoryRevision = apps.get_model("ports", "StoryRevision")
    port_ids = KnownUse.objects.values_list("port_id", flat=True).distinct()
    waiting = []
    for port_id in port_ids:
        story = Story.objects.filter(port_id=port_id).first()
        if story is None:
            title = f"Port {port_id}"
            story = Story.objects.create(port_id=port_id, title=title, title_en=title)
        uses = list(KnownUse.objects.filter(port_id=port_id).order_by("position", "id"))
        for position, use in enumerate(uses, start=1):
            use.story = story
            use.position = position
        KnownUse.objects.bulk_update(uses, ["story", "position"])
        content_uses = [_content_use(use) for use in uses]
        latest = (
            StoryRevision.objects.filter(story=story)
            .order_by("-created_at", "-id")
            .first()
        )
        revision_ids = {story.live_revision_id, story.scheduled_revision_id}
        if latest is not None:
            revision_ids.add(latest.pk)
        for revision in StoryRevision.objects.filter(pk__in=revision_ids - {None}):
            revision.content["known_uses"] = content_uses
            revision.save(update_fields=["content"])
        if story.live_revision_id is None:
            waiting.append(port_id)
    if waiting:
        # Whoever migrates must know which port pages lost their known uses.
        print(
            "\n  Known uses now wait for review, hidden from readers until their "
            "story is published, on ports: "
            + ", ".join(str(number) for number in sorted(waiting))
        )


def uses_back_to_ports(apps, schema_editor):
    KnownUse = apps.get_model("ports", "KnownUse")
    for use in KnownUse.objects.select_related("story"):
        use.port_id = use.story.port_id
        use.save(update_fields=["port"])


def check_constraints_now(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0011_drop_change_port_width"),
    ]

    operations = [
        migrations.AddField(
            model_name="knownuse",
            name="story",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="known_uses",
                to="ports.story",
                verbose_name="story",
            ),
        ),
        migrations.AlterField(
            model_name="knownuse",
            name="port",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="known_uses",
                to="ports.port",
                verbose_name="port",
            ),
        ),
        migrations.RunPython(uses_into_stories, uses_back_to_ports),
        # Stories made above leave PostgreSQL's deferred foreign-key checks
        # pending, and it refuses to alter a table with pending checks.
        migrations.RunPython(check_constraints_now, check_constraints_now),
        migrations.RemoveField(model_name="knownuse", name="port"),
        migrations.AlterField(
            model_name="knownuse",
            name="story",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="known_uses",
                to="ports.story",
                verbose_name="story",
            ),
        ),
        migrations.AlterModelOptions(
            name="knownuse",
            options={
                "ordering": ["story", "position", "id"],
                "verbose_name": "known use",
                "verbose_name_plural": "known uses",
            },
        ),
    ]
