"""Registry managers see the observed-data imports and their rows."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_observedrun", "view_observedport"]


def grant(apps, schema_editor):
    # On a fresh database permissions are created only after all migrations.
    app_config = apps.get_app_config("ports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="ports", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Registry manager"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="ports", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Registry manager"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("ports", "0016_observed_data")]

    operations = [migrations.RunPython(grant, revoke)]
