import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ports import importing


class Command(BaseCommand):
    help = "Import IANA's service-names-port-numbers.csv into the registry."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to service-names-port-numbers.csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and list the invalid ones instead of refusing the file.",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, file, dry_run, skip_invalid, json: bool, **options):
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > settings.REGISTRY_UPLOAD_MAX_BYTES:
                raise importing.ImportRefused(
                    f"The file is {size:,} bytes; the limit is "
                    f"{settings.REGISTRY_UPLOAD_MAX_BYTES:,} (REGISTRY_UPLOAD_MAX_BYTES)."
                )
            data = path.read_bytes()
            plan = importing.plan_import(data, file_name=path.name, skip_invalid=skip_invalid)
            run = None if dry_run else importing.apply_import(plan)
        except OSError as error:
            self._refuse(f"Cannot read {file}: {error.strerror}", (), json)
        except importing.ImportRefused as refused:
            self._refuse(str(refused), refused.invalid, json)
        for problem in plan.invalid:
            self.stderr.write(f"skipped {problem}")
        if json:
            self.stdout.write(
                _json_dumps({**plan.counts, "id": run.pk if run else None, "dry_run": dry_run})
            )
            return
        if not plan.has_changes:
            self.stdout.write("No changes: the registry already matches this file.")
        self.stdout.write(plan.summary() + (" (dry run, nothing written)" if dry_run else ""))

    def _refuse(self, message, invalid, as_json):
        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        "error": message,
                        "invalid": [problem.__dict__ for problem in invalid],
                    }
                )
            )
        else:
            for problem in invalid:
                self.stderr.write(f"invalid {problem}")
        raise CommandError(message, returncode=1)


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False, default=str)
