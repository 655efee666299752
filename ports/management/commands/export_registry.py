import sys

from django.core.management.base import BaseCommand

from ports.api import datasets


class Command(BaseCommand):
    help = (
        "Write the registry in IANA's CSV layout (service-names-port-numbers.csv), "
        "as the admin's export does: withdrawn entries left out, text a "
        "spreadsheet would run as a formula escaped with a leading '; it "
        "imports again without changes. To FILE, or standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Path to write (default: stdout)")

    def handle(self, *args, file=None, **options):
        if file is None:
            datasets.write_iana_csv(sys.stdout)
            return
        with open(file, "w", encoding="utf-8", newline="") as out:
            datasets.write_iana_csv(out)
        self.stderr.write(f"Wrote {file}")
