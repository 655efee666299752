"""The editorial roles as groups: Editor, Reviewer, Registry manager."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = [
    "add_story",
    "change_story",
    "view_story",
    "submit_story",
    *(
        f"{verb}_{model}"
        for model in ("citation", "faq", "relatedport", "knownuse")
        for verb in ("add", "change", "delete", "view")
    ),
    "view_storyrevision",
    "view_storytransition",
    "view_port",
    "view_assignment",
    "view_registrychange",
]
REVIEWER = [*EDITOR, "publish_story"]
REGISTRY_MANAGER = [
    "import_assignment",
    "export_assignment",
    "view_assignment",
    "view_importrun",
    "view_registrychange",
    "view_port",
]
ROLES = {"Editor": EDITOR, "Reviewer": REVIEWER, "Registry manager": REGISTRY_MANAGER}


def create_roles(apps, schema_editor):
    # On a fresh database the permissions are created only after all
    # migrations (post_migrate); create them now so the groups can get them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        permissions = list(
            Permission.objects.filter(content_type__app_label="ports", codename__in=codenames)
        )
        missing = set(codenames) - {permission.codename for permission in permissions}
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ports", "0003_registry_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
