from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0009_translation_edits_and_feedback_indexes"),
    ]

    operations = [
        # Named so that it no longer takes the place of Assignment.natural_key(),
        # the method Django's serializers call.
        migrations.RenameField(
            model_name="assignment",
            old_name="natural_key",
            new_name="registry_key",
        ),
        migrations.AlterField(
            model_name="assignment",
            name="registry_key",
            field=models.TextField(
                editable=False, unique=True, verbose_name="registry key"
            ),
        ),
    ]
