import datetime
import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ports.models import ObservedSource
from ports.observed import files, importing

# Rows of each kind a preview lists; its counts are always complete.
PREVIEW_LIMIT = 20


class Command(BaseCommand):
    help = (
        "Import nmap's nmap-services (`nmap FILE`, e.g. "
        "/usr/share/nmap/nmap-services) or the services file (`services FILE`, "
        "e.g. /etc/services) as that source's data, in one transaction. The "
        "file is read where it is, never copied. Ends with new=… changed=… "
        "unchanged=… removed=… skipped=…; exits with status 1 when the file is "
        "refused (nothing is imported then; the refusal is recorded, except "
        "with --dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", choices=ObservedSource.values)
        parser.add_argument("file", help="Path to the file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would change; write nothing.",
        )
        parser.add_argument(
            "--allow-shrink",
            action="store_true",
            help="Import a file that removes more than half of the live rows "
            "(refused otherwise, as a file cut short would).",
        )

    def handle(self, *args, source, file, dry_run, allow_shrink, **options):
        path = Path(file)
        data = None
        try:
            size = path.stat().st_size
            if size > files.MAX_BYTES:
                raise importing.ImportRefused(
                    f"The file is {size:,} bytes; the limit is {files.MAX_BYTES:,} "
                    "bytes. Nothing was imported."
                )
            data = path.read_bytes()
            modified = datetime.datetime.fromtimestamp(
                path.stat().st_mtime, tz=datetime.UTC
            )
            if dry_run:
                plan = importing.plan_import(
                    source, data, file_name=path.name, modified=modified
                )
                run = None
            else:
                plan, run = importing.import_observed(
                    source,
                    data,
                    file_name=path.name,
                    modified=modified,
                    allow_shrink=allow_shrink,
                )
        except OSError as error:
            raise CommandError(
                f"Cannot read {file}: {error.strerror}.", returncode=1
            ) from None
        except importing.ImportRefused as refused:
            if not dry_run:
                refused_run = importing.record_refused(
                    source=source,
                    file_name=path.name,
                    reason=str(refused),
                    sha256="" if data is None else hashlib.sha256(data).hexdigest(),
                )
                self.stderr.write(
                    f"Import run {refused_run.pk} recorded "
                    f"({refused_run.get_outcome_display()})."
                )
            raise CommandError(str(refused), returncode=1) from None

        self.stdout.write(plan.date_text)
        for warning in plan.warnings:
            self.stderr.write(f"Warning: {warning}")
        if dry_run:
            self._preview(plan)
            if plan.shrinks and not allow_shrink:
                self.stderr.write(
                    f"Importing it would be refused: {plan.shrink_refusal()}"
                )
        if plan.skipped:
            self.stdout.write(
                "Skipped lines of protocols that are not IP transports: "
                + ", ".join(f"{name} ({n})" for name, n in sorted(plan.skipped.items()))
            )
        if not plan.has_changes:
            self.stdout.write("No changes: the live data already matches this file.")
        elif plan.redated and not (plan.new or plan.changed or plan.removed):
            self.stdout.write("Only the date or version changes.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(
                f"Import run {run.pk} recorded ({run.get_outcome_display()})."
            )
        self.stdout.write(plan.summary())

    def _preview(self, plan):
        for sign, rows in (("+", plan.new), ("~", plan.changed), ("-", plan.removed)):
            for row in rows[:PREVIEW_LIMIT]:
                self.stdout.write(f"{sign} {row.label}: {row.describe()}")
            if len(rows) > PREVIEW_LIMIT:
                self.stdout.write(f"{sign} …and {len(rows) - PREVIEW_LIMIT} more")
