from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "editor"
PASSWORD = "portwiki-editor"


class Command(BaseCommand):
    help = "Create the local development login (DEBUG only) and print it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="host:port the development server listens on, for the printed link",
        )

    def handle(self, *args, address, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The local editor login exists only for development (DEBUG=true)."
            )
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        self.stdout.write(
            f"Local editor login: http://{address}/admin/  "
            f"user {USERNAME!r}, password {PASSWORD!r}"
            + ("" if created else " (unless you changed it)")
        )
