from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from ports.editorial import actions
from ports.models import Assignment, Story
from ports.registry import importing

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = (
        "Load the demo content: the registry rows in fixtures/demo_registry.csv "
        "(through the registry import, unless a registry was imported already) and "
        "the stories in fixtures/demo_content.json, published. Does nothing when "
        "stories exist already, so edits are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even if stories exist (overwrites them).",
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if Story.objects.exists() and not force:
            self.stdout.write("Demo content already present; nothing loaded.")
            return
        if Assignment.objects.exists():
            # A registry imported already (make run REGISTRY=…) is kept: the
            # demo's few rows, dated 2025, would withdraw most of it, or be
            # refused as older than it.
            self.stdout.write("Registry already imported; the demo's rows skipped.")
        else:
            registry_file = FIXTURES / "demo_registry.csv"
            plan, run = importing.import_registry(
                registry_file.read_bytes(), file_name=registry_file.name
            )
            self.stdout.write(f"Registry: {plan.summary()}")
        call_command("loaddata", FIXTURES / "demo_content.json", verbosity=0)
        for story in Story.objects.select_related("port"):
            actions.story_publish(story=story, by=None)
        self.stdout.write(
            self.style.SUCCESS(f"Published {Story.objects.count()} demo stories.")
        )
