"""Purge reader pages from the page cache and every front cache."""

from django.core.management.base import BaseCommand, CommandError

from ports.cache import tags
from ports.cache.purging import purge
from ports.choices import PORT_MAX, PORT_MIN


class Command(BaseCommand):
    help = (
        "Purge every reader page (or the pages of the ports given) from the "
        "page cache and the front caches: after a release whose templates "
        "changed, or by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "ports", nargs="*", type=int, help="Port numbers (default: every page)."
        )

    def handle(self, *args, ports, **options):
        wrong = [number for number in ports if not PORT_MIN <= number <= PORT_MAX]
        if wrong:
            raise CommandError(
                f"Not port numbers ({PORT_MIN}–{PORT_MAX}): "
                f"{', '.join(map(str, wrong))}. Nothing was purged."
            )
        purged = tags.ports_changed(ports) if ports else [tags.SITE]
        purge(purged)
        self.stdout.write(f"Purged: {' '.join(purged)}")
