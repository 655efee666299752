"""Queue the warming of the page cache (after a deploy or a Redis flush)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from ports.choices import RangeClass
from ports.models import Story
from ports.tasks import warm_pages


class Command(BaseCommand):
    help = (
        "Queue a task that fills the page cache: home, lists and every port with "
        "a live story, in every language (or those given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", required=True, help="The site's host name.")
        parser.add_argument(
            "--language", action="append", dest="languages", help="Repeatable."
        )
        parser.add_argument(
            "--http", action="store_true", help="The site is served without HTTPS."
        )

    def handle(self, *args, host, languages, http, **options):
        paths = [
            reverse("ports:home"),
            reverse("ports:port-list"),
            *(reverse("ports:range-class", args=[name]) for name in RangeClass),
            *(
                reverse("ports:port-detail", args=[number])
                for number in Story.objects.live()
                .order_by("port_id")
                .values_list("port_id", flat=True)
            ),
        ]
        languages = languages or [code for code, _name in settings.LANGUAGES]
        result = warm_pages.enqueue(
            host=host, paths=paths, languages=languages, secure=not http
        )
        self.stdout.write(
            f"Queued {len(paths)} pages in {len(languages)} languages: task {result.id}"
        )
