from django.core.management.base import BaseCommand

from ports.editorial import actions


class Command(BaseCommand):
    help = (
        "Put scheduled story versions live and take expired ones down. "
        "Safe to run from cron every minute, and to run twice at once."
    )

    def handle(self, *args, **options):
        published, expired = actions.stories_publish_due()
        self.stdout.write(
            f"Published {len(published)} scheduled stories, expired {len(expired)}."
        )
