import argparse
import datetime
import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from ports.registry import importing


class Command(BaseCommand):
    help = (
        "Import IANA's service-names-port-numbers.csv into the registry, in one "
        "transaction. Ends with new=… changed=… unchanged=… withdrawn=… invalid=…; "
        "exits with status 1 when the file is refused (nothing is imported then; "
        "the refusal is recorded as an import run, except with --dry-run)."
    )
    # The import is timed as a whole process; `manage.py check` covers the checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to service-names-port-numbers.csv")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would change; write nothing.",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and list the invalid ones, instead of "
            "refusing the file.",
        )
        parser.add_argument(
            "--registry-date",
            type=_registry_date,
            help="The registry's date (YYYY-MM-DD) when it is not the newest "
            "registration or modification date in the file.",
        )
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help="Import a registry older than the newest imported (refused "
            "otherwise: its changes would run history backwards).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the result (counts and the import's id) as one JSON object.",
        )

    def handle(
        self,
        *args,
        file,
        dry_run,
        skip_invalid,
        as_json,
        registry_date,
        allow_older,
        **options,
    ):
        path = Path(file)
        # A progress bar only where a person watches; logs and pipes get none.
        bar = ProgressBar(self.stderr) if self.stderr.isatty() else None
        run = None
        data = None
        try:
            importing.check_size(path.stat().st_size)
            data = path.read_bytes()
            if dry_run:
                plan = importing.plan_import(
                    data,
                    file_name=path.name,
                    skip_invalid=skip_invalid,
                    registry_date=registry_date,
                    allow_older=allow_older,
                )
            else:
                plan, run = importing.import_registry(
                    data,
                    file_name=path.name,
                    skip_invalid=skip_invalid,
                    progress=bar,
                    registry_date=registry_date,
                    allow_older=allow_older,
                )
        except OSError as error:
            self._refuse(f"Cannot read {file}: {error.strerror}.", (), as_json)
        except importing.ImportRefused as refused:
            # Recorded like the admin's refused uploads; a dry run writes nothing.
            refused_run = None
            if not dry_run:
                refused_run = importing.record_refused(
                    file_name=path.name,
                    reason=str(refused),
                    # Empty for a file over the limit, refused before it is read.
                    sha256="" if data is None else hashlib.sha256(data).hexdigest(),
                    invalid=refused.invalid,
                )
            self._refuse(str(refused), refused.invalid, as_json, refused_run)
        finally:
            if bar is not None:
                bar.close()

        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        **plan.counts,
                        "id": run.pk if run else None,
                        "outcome": run.outcome if run else "dry_run",
                        "dry_run": dry_run,
                        "file": path.name,
                        "sha256": plan.sha256,
                        "registry_date": plan.registry_date,
                        "baseline": plan.baseline and plan.has_changes,
                        "held": len(plan.held),
                        "invalid_rows": [problem.as_dict() for problem in plan.invalid],
                    }
                )
            )
            return
        for problem in plan.invalid:
            self.stderr.write(f"skipped {problem}")
        if plan.held:
            self.stderr.write(
                f"kept {len(plan.held)} assignment(s) missing from the file, because a "
                "skipped invalid row may be them"
            )
        if not plan.has_changes:
            self.stdout.write("No changes: the registry already matches this file.")
        if plan.registry_date is not None:
            self.stdout.write(f"Registry date {plan.registry_date.isoformat()}.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif run is not None:
            self.stdout.write(
                f"Import run {run.pk} recorded ({run.get_outcome_display()})."
            )
        self.stdout.write(plan.summary())

    def _refuse(self, message, invalid, as_json, run=None):
        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        "error": message,
                        "id": run.pk if run else None,
                        "outcome": run.outcome if run else None,
                        "invalid_rows": [problem.as_dict() for problem in invalid],
                    }
                )
            )
        else:
            for problem in invalid:
                self.stderr.write(f"invalid {problem}")
            if run is not None:
                self.stderr.write(
                    f"Import run {run.pk} recorded ({run.get_outcome_display()})."
                )
        raise CommandError(message, returncode=1)


class ProgressBar:
    """`importing: [#####.....]  50% 7,000/14,000` redrawn in place on stderr."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.percent = None
        self.stream.write(
            "importing: reading and comparing…", style_func=str, ending=""
        )
        self.stream.flush()

    def __call__(self, done, total):
        percent = 100 * done // total if total else 100
        if percent == self.percent:
            return
        self.percent = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(
            f"\rimporting: [{bar}] {percent:3d}% {done:,}/{total:,}",
            style_func=str,
            ending="",
        )
        self.stream.flush()

    def close(self):
        self.stream.write("", style_func=str)


def _registry_date(text) -> datetime.date:
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)")
    return value


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False, default=str)
