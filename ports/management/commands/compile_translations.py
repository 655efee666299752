from django.core.management.base import BaseCommand

from ports.languages import compile_catalogues


class Command(BaseCommand):
    help = (
        "Compile the message catalogues in locale/ (.po → .mo) without gettext. "
        "Only catalogues changed since they were last compiled, unless --force."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile all.")

    def handle(self, *args, force=False, **options):
        written = compile_catalogues(force=force)
        self.stdout.write(f"Compiled {len(written)} message catalogue(s).")
