from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from ports.api import datasets


class Command(BaseCommand):
    help = (
        "Write the open data's downloads (the registry, its history, known uses, "
        "observed use and the live stories, as CSV and JSON, with "
        "datapackage.json and the IANA-layout registry) into DATA_EXPORT_DIR "
        "or --dir. A task does this after every import and publication."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", help="Directory to write (default: DATA_EXPORT_DIR)"
        )
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="The site's address, for links to stories (default: SITE_URL)",
        )

    def handle(self, *args, dir=None, base_url, **options):
        directory = Path(dir) if dir else None
        package = datasets.export_datasets(base_url=base_url, directory=directory)
        for resource in package["resources"]:
            self.stdout.write(f"{resource['path']} {resource['bytes']}")
