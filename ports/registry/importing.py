"""
The registry import: what a parsed file changes, and applying it in one step.

Both ways in (the admin's import page and `manage.py import_registry`) call
plan_import() to preview and import_registry() to write. The work is
set-based: one query loads every existing assignment, the differences are
computed in memory, and the writes are bulk inserts and updates in a single
transaction that holds the registry lock, so two imports never interleave.
"""

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from ports.choices import AssignmentStatus, ChangeKind
from ports.imports import ImportRefused, lock_table
from ports.models import Assignment, ImportRun, RegistryChange
from ports.registry import iana_csv
from ports.registry.signals import registry_imported

BATCH_SIZE = 2000
# A refused file's import run lists this many of its problems; a file of
# garbage can have one per line, and the command line lists them all.
REFUSED_PROBLEMS_LISTED = 100


class PlanOutdated(ImportRefused):
    """The registry changed between the preview and its confirmation."""


@dataclass
class PlannedChange:
    key: str
    kind: str
    values: dict
    fields: dict = field(default_factory=dict)  # name → [old, new]
    line: int | None = None
    pk: int | None = None

    @property
    def label(self):
        return iana_csv.row_label(self.values)


@dataclass
class ImportPlan:
    """What importing one file would do to the registry as it stands now."""

    file_name: str
    sha256: str
    total_rows: int
    skip_invalid: bool = False
    new: list[PlannedChange] = field(default_factory=list)
    changed: list[PlannedChange] = field(default_factory=list)
    withdrawn: list[PlannedChange] = field(default_factory=list)
    # Missing from the file, but kept: an invalid row that was skipped may be them.
    held: list[PlannedChange] = field(default_factory=list)
    unchanged_count: int = 0
    invalid: list[iana_csv.InvalidRow] = field(default_factory=list)
    # The registry's own date (iana_csv.newest_date(), or the importer's).
    registry_date: datetime.date | None = None
    # The registry was empty: this import is where its history starts.
    baseline: bool = False

    @property
    def counts(self):
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged_count,
            "withdrawn": len(self.withdrawn),
            "invalid": len({problem.line for problem in self.invalid}),
        }

    @property
    def has_changes(self):
        return bool(self.new or self.changed or self.withdrawn)

    def summary(self):
        return " ".join(f"{name}={count}" for name, count in self.counts.items())

    def fingerprint(self):
        """
        Identifies the plan, so that a confirmation applies what was previewed:
        the file, and every change with its old and new values.
        """
        digest = hashlib.sha256(self.sha256.encode())
        for change in (*self.new, *self.changed, *self.withdrawn, *self.held):
            item = [change.kind, change.key, change.fields]
            digest.update(json.dumps(item, sort_keys=True, default=str).encode())
            digest.update(b"\n")
        return digest.hexdigest()


def check_size(size: int) -> None:
    """Refuse a file over REGISTRY_UPLOAD_MAX_BYTES before anything reads it."""
    limit = settings.REGISTRY_UPLOAD_MAX_BYTES
    if size > limit:
        raise ImportRefused(
            f"The file is {size:,} bytes; the limit is {limit:,} bytes "
            "(REGISTRY_UPLOAD_MAX_BYTES). Nothing was imported."
        )


def record_refused(
    *,
    file_name: str,
    reason: str,
    sha256: str = "",
    invalid: Sequence[iana_csv.InvalidRow] = (),
    user=None,
) -> ImportRun:
    """
    Record a file the import refused, with the reason, as an ImportRun whose
    outcome is "refused": the history then holds every attempt, not only
    those that changed something. Nothing else is written.
    """
    now = timezone.now()
    lines = [reason]
    if invalid:
        lines.extend(f"  {problem}" for problem in invalid[:REFUSED_PROBLEMS_LISTED])
        if len(invalid) > REFUSED_PROBLEMS_LISTED:
            lines.append(
                f"  …and {len(invalid) - REFUSED_PROBLEMS_LISTED} more problem(s)."
            )
    return ImportRun.objects.create(
        file_name=file_name[:255],
        sha256=sha256,
        started_by=user,
        started_at=now,
        finished_at=now,
        outcome=ImportRun.Outcome.REFUSED,
        invalid_count=len({problem.line for problem in invalid}),
        message="\n".join(lines),
    )


def read_registry(data: bytes, *, skip_invalid: bool = False) -> iana_csv.ParsedFile:
    """
    Parse a registry file, or raise ImportRefused: when it is not a registry
    CSV, or when it has invalid rows and skip_invalid is false.
    """
    check_size(len(data))
    try:
        parsed = iana_csv.parse(data)
    except iana_csv.RegistryFileError as error:
        raise ImportRefused(f"{error} Nothing was imported.") from None
    if parsed.invalid and not skip_invalid:
        raise ImportRefused(
            f"{parsed.invalid_count} invalid row(s); nothing was imported. "
            "Fix them, or import the valid rows only (--skip-invalid).",
            parsed.invalid,
        )
    if not parsed.rows:
        raise ImportRefused(
            "Every row is invalid; nothing was imported.", parsed.invalid
        )
    return parsed


def plan_import(
    data: bytes,
    *,
    file_name: str,
    skip_invalid: bool = False,
    registry_date: datetime.date | None = None,
    allow_older: bool = False,
) -> ImportPlan:
    """
    Compare a registry file with the database, without writing anything.
    `registry_date` overrides the date read from the file. A registry older
    than the newest imported is refused unless `allow_older`.
    """
    parsed = read_registry(data, skip_invalid=skip_invalid)
    return _plan(
        parsed,
        file_name=file_name,
        skip_invalid=skip_invalid,
        registry_date=registry_date,
        allow_older=allow_older,
    )


def import_registry(
    data: bytes,
    *,
    file_name: str,
    user=None,
    skip_invalid: bool = False,
    expected_fingerprint: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    registry_date: datetime.date | None = None,
    allow_older: bool = False,
) -> tuple[ImportPlan, ImportRun]:
    """
    Import a registry file: one transaction, so it applies completely or not
    at all. The plan is made inside the registry lock, so it is the plan that
    gets applied; with expected_fingerprint (a preview's), a registry that
    changed since the preview raises PlanOutdated instead.

    Returns the plan and the ImportRun that records it, with a RegistryChange
    per assignment added, changed or withdrawn; the first import into an
    empty registry is its baseline, with none. The run's registry date is
    `registry_date` if given, else the newest date in the file; a registry
    older than the newest imported is refused unless `allow_older`.
    """
    parsed = read_registry(data, skip_invalid=skip_invalid)
    with transaction.atomic():
        lock_table(Assignment)
        plan = _plan(
            parsed,
            file_name=file_name,
            skip_invalid=skip_invalid,
            registry_date=registry_date,
            allow_older=allow_older,
        )
        if (
            expected_fingerprint is not None
            and plan.fingerprint() != expected_fingerprint
        ):
            raise PlanOutdated(
                "The registry changed since this file was previewed; nothing was "
                "imported. Preview the file again."
            )
        run = _apply(plan, user=user, progress=progress)
    return plan, run


def _comparable(value):
    return iana_csv.squash(value) if isinstance(value, str) else value


def _existing_assignments():
    columns = ("pk", "registry_key", *iana_csv.VALUE_FIELDS)
    return {
        row[1]: dict(zip(columns, row, strict=True))
        for row in Assignment.objects.order_by().values_list(*columns)
    }


def _plan(
    parsed: iana_csv.ParsedFile,
    *,
    file_name: str,
    skip_invalid: bool,
    registry_date: datetime.date | None = None,
    allow_older: bool = False,
) -> ImportPlan:
    registry_date = registry_date or iana_csv.newest_date(parsed.rows)
    if not allow_older:
        _check_not_older(registry_date)
    existing = _existing_assignments()
    plan = ImportPlan(
        file_name=file_name,
        sha256=parsed.sha256,
        total_rows=parsed.total,
        skip_invalid=skip_invalid,
        invalid=parsed.invalid,
        registry_date=registry_date,
        baseline=not existing,
    )
    fields = iana_csv.VALUE_FIELDS
    for row in parsed.rows:
        current = existing.pop(row.key, None)
        if current is None:
            plan.new.append(
                PlannedChange(row.key, ChangeKind.ADDED, row.values, line=row.line)
            )
            continue
        new = row.values
        differences = {
            name: [current[name], new[name]]
            for name in fields
            if current[name] != new[name]
            and _comparable(current[name]) != _comparable(new[name])
        }
        if not differences:
            plan.unchanged_count += 1
            continue
        kind = (
            ChangeKind.RESTORED
            if current["status"] == AssignmentStatus.WITHDRAWN
            else ChangeKind.CHANGED
        )
        plan.changed.append(
            PlannedChange(row.key, kind, new, differences, row.line, current["pk"])
        )
    for key, current in existing.items():
        if current["status"] == AssignmentStatus.WITHDRAWN:
            continue
        change = PlannedChange(
            key,
            ChangeKind.WITHDRAWN,
            current,
            {"status": [current["status"], AssignmentStatus.WITHDRAWN]},
            pk=current["pk"],
        )
        if _may_be_invalid_row(current, parsed):
            plan.held.append(change)
        else:
            plan.withdrawn.append(change)
    return plan


def _check_not_older(registry_date: datetime.date | None) -> None:
    """
    Refuse a registry older than the newest imported: history reads in
    registry time, and it would run backwards.
    """
    if registry_date is None:
        return
    newest = ImportRun.objects.published().aggregate(
        newest=models.Max("registry_date")
    )["newest"]
    if newest is not None and registry_date < newest:
        raise ImportRefused(
            f"This registry is dated {registry_date.isoformat()}, older than the "
            f"newest imported ({newest.isoformat()}): its changes would run the "
            "registry's history backwards. Nothing was imported. If the date is "
            "wrong, give the right one (--registry-date, or the admin's Registry "
            "date); to import it anyway, use the command's --allow-older."
        )


def _may_be_invalid_row(current: dict, parsed: iana_csv.ParsedFile) -> bool:
    if not parsed.invalid:
        return False
    if parsed.unidentified_invalid:
        return True
    name = iana_csv.squash(current["service_name"]).casefold()
    if name:
        return name in parsed.invalid_names
    return (
        iana_csv.squash(current["description"]).casefold()
        in parsed.invalid_descriptions
    )


def _apply(plan: ImportPlan, *, user, progress) -> ImportRun:
    now = timezone.now()
    if not plan.has_changes:
        outcome = ImportRun.Outcome.NO_CHANGES
    elif plan.baseline:
        outcome = ImportRun.Outcome.BASELINE
    else:
        outcome = ImportRun.Outcome.APPLIED
    run = ImportRun.objects.create(
        file_name=plan.file_name[:255],
        sha256=plan.sha256,
        started_by=user,
        started_at=now,
        registry_date=plan.registry_date,
        outcome=outcome,
        total_rows=plan.total_rows,
        new_count=len(plan.new),
        changed_count=len(plan.changed),
        unchanged_count=plan.unchanged_count,
        withdrawn_count=len(plan.withdrawn),
        invalid_count=plan.counts["invalid"],
        message=_run_message(plan),
    )
    changes = (*plan.new, *plan.changed, *plan.withdrawn)
    # A baseline records no change per assignment: the registry as it stands
    # is where history starts, not 14,000 additions.
    recorded = () if plan.baseline else changes
    total = len(changes) + len(recorded)
    done = 0

    def step(count):
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    new_rows = [
        {
            **change.values,
            "registry_key": change.key,
            "withdrawn_at": None,
            "created_at": now,
            "updated_at": now,
        }
        for change in plan.new
    ]
    for start in range(0, len(plan.new), BATCH_SIZE):
        batch = plan.new[start : start + BATCH_SIZE]
        ids = _insert(Assignment, new_rows[start : start + BATCH_SIZE])
        for change, pk in zip(batch, ids, strict=True):
            change.pk = pk
        step(len(batch))

    updated_fields = [*iana_csv.VALUE_FIELDS, "withdrawn_at", "updated_at"]
    for start in range(0, len(plan.changed), BATCH_SIZE):
        batch = plan.changed[start : start + BATCH_SIZE]
        _update(
            Assignment,
            updated_fields,
            [
                {
                    "id": change.pk,
                    **change.values,
                    "withdrawn_at": None,
                    "updated_at": now,
                }
                for change in batch
            ],
        )
        step(len(batch))

    # Withdrawn in registry time, as history reads: the registry of that
    # date no longer lists it (the import's own time where the file has none).
    withdrawn_at = (
        datetime.datetime.combine(plan.registry_date, datetime.time(), datetime.UTC)
        if plan.registry_date
        else now
    )
    for start in range(0, len(plan.withdrawn), BATCH_SIZE):
        batch = plan.withdrawn[start : start + BATCH_SIZE]
        Assignment.objects.filter(pk__in=[change.pk for change in batch]).update(
            status=AssignmentStatus.WITHDRAWN,
            withdrawn_at=withdrawn_at,
            updated_at=now,
        )
        step(len(batch))

    for start in range(0, len(recorded), BATCH_SIZE):
        batch = recorded[start : start + BATCH_SIZE]
        _insert(
            RegistryChange,
            [
                {
                    "run_id": run.pk,
                    "assignment_id": change.pk,
                    "kind": change.kind,
                    "fields": change.fields,
                    "port_low": change.values["port_low"],
                    "port_high": change.values["port_high"],
                    "created_at": now,
                }
                for change in batch
            ],
        )
        step(len(batch))

    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    if progress is not None:
        progress(total, total)
    if changes:
        registry_imported.send(
            sender=ImportRun,
            run=run,
            ranges=[
                (change.values["port_low"], change.values["port_high"])
                for change in changes
            ],
        )
    return run


def _run_message(plan: ImportPlan) -> str:
    lines = []
    if not plan.has_changes:
        lines.append("No changes: the registry already matches this file.")
    elif plan.baseline:
        lines.append(
            f"Baseline: the registry was empty; its history starts here with "
            f"{len(plan.new)} assignment(s)."
        )
    if plan.held:
        lines.append(
            f"{len(plan.held)} assignment(s) missing from the file were kept, not "
            "withdrawn, because a skipped invalid row may be them:"
        )
        lines.extend(f"  {change.label}" for change in plan.held)
    if plan.invalid:
        lines.append(f"Skipped {plan.counts['invalid']} invalid row(s):")
        lines.extend(f"  {problem}" for problem in plan.invalid)
    return "\n".join(lines)


# Bulk writes. On PostgreSQL rows go in with COPY, and updates through a
# temporary table joined in one UPDATE: Django's bulk_update() builds a CASE
# per field and row, which takes tens of seconds for a registry-wide change.
# Elsewhere (SQLite, in development) Django's bulk methods and one prepared
# UPDATE run many times do.


def _columns(model, names=None):
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    if names is not None:
        fields = [field for field in fields if field.attname in names]
    return fields


def _value(field, row):
    if field.attname in row:
        value = row[field.attname]
    elif field.has_default():
        value = field.get_default()
    else:
        raise ValueError(f"No value for {field.model.__name__}.{field.attname}")
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert rows (attribute name → value) in bulk; return their new ids."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**row) for row in rows])
        return [instance.pk for instance in created]
    pk = model._meta.pk
    table = model._meta.db_table
    fields = _columns(model)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
            "FROM generate_series(1, %s)",
            [table, pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for pk_value, row in zip(ids, rows, strict=True):
                copy.write_row(
                    [
                        pk_value if field is pk else _value(field, row)
                        for field in fields
                    ]
                )
    return ids


def _update(model, names, rows: list[dict]) -> None:
    """Set the named fields of each row (which carries its "id") in bulk."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    fields = _columns(model, names)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s",
                [
                    [
                        field.get_db_prep_save(row[field.attname], connection)
                        for field in fields
                    ]
                    + [row["id"]]
                    for row in rows
                ],
            )
            return
        columns = [quote(field.column) for field in (pk, *fields)]
        cursor.execute(
            f"CREATE TEMPORARY TABLE import_rows ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY import_rows ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row([row["id"], *(_value(field, row) for field in fields)])
        assignments = ", ".join(f"{column} = source.{column}" for column in columns[1:])
        cursor.execute(
            f"UPDATE {table} AS target SET {assignments} FROM import_rows AS source "
            f"WHERE target.{columns[0]} = source.{columns[0]}"
        )
        cursor.execute("DROP TABLE import_rows")
