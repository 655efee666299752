"""
The registry import: what a parsed file changes, and applying it in one step.

Both ways in (the admin's import page and `manage.py import_registry`) call
plan_import() to preview and apply_import() to write. The work is set-based:
one query loads every existing assignment, the differences are computed in
memory, and the writes are bulk inserts and updates in a single transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from . import registry
from .choices import AssignmentStatus, ChangeKind
from .models import Assignment, ImportRun, RegistryChange

BATCH_SIZE = 2000


class ImportRefused(Exception):
    """The file cannot be imported as it is; nothing was changed."""

    def __init__(self, message, invalid=()):
        super().__init__(message)
        self.invalid = list(invalid)


@dataclass
class PlannedChange:
    key: str
    kind: str
    values: dict
    fields: dict = field(default_factory=dict)  # name → [old, new]
    line: int | None = None
    pk: int | None = None


@dataclass
class ImportPlan:
    """What importing one file would do to the registry as it stands now."""

    file_name: str
    sha256: str
    total_rows: int
    new: list[PlannedChange] = field(default_factory=list)
    changed: list[PlannedChange] = field(default_factory=list)
    withdrawn: list[PlannedChange] = field(default_factory=list)
    unchanged_count: int = 0
    invalid: list[registry.InvalidRow] = field(default_factory=list)

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
        """Identifies the plan, so a confirmation applies what was previewed."""
        parts = [self.sha256]
        for group in (self.new, self.changed, self.withdrawn):
            parts.extend(f"{change.kind}:{change.key}" for change in group)
        return registry.hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _comparable(value):
    return registry.squash(value) if isinstance(value, str) else value


def _existing_assignments():
    columns = ("pk", "natural_key", *registry.VALUE_FIELDS)
    return {row["natural_key"]: row for row in Assignment.objects.values(*columns)}


def plan_import(data: bytes, *, file_name: str, skip_invalid: bool = False) -> ImportPlan:
    """
    Compare a registry file with the database, without writing anything.

    Raises ImportRefused when the file is not a registry CSV, or when it has
    invalid rows and skip_invalid is false.
    """
    try:
        parsed = registry.parse(data)
    except registry.RegistryFileError as error:
        raise ImportRefused(str(error)) from None
    if parsed.invalid and not skip_invalid:
        lines = len({problem.line for problem in parsed.invalid})
        raise ImportRefused(
            f"{lines} invalid row(s); nothing was imported. "
            "Fix them, or import the valid rows only (--skip-invalid).",
            parsed.invalid,
        )
    plan = ImportPlan(
        file_name=file_name,
        sha256=parsed.sha256,
        total_rows=parsed.total,
        invalid=parsed.invalid,
    )
    existing = _existing_assignments()
    for row in parsed.rows:
        current = existing.pop(row.key, None)
        if current is None:
            plan.new.append(
                PlannedChange(row.key, ChangeKind.ADDED, row.values, line=row.line)
            )
            continue
        differences = {
            name: [current[name], row.values[name]]
            for name in registry.VALUE_FIELDS
            if _comparable(current[name]) != _comparable(row.values[name])
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
            PlannedChange(row.key, kind, row.values, differences, row.line, current["pk"])
        )
    for key, current in existing.items():
        if current["status"] != AssignmentStatus.WITHDRAWN:
            plan.withdrawn.append(
                PlannedChange(
                    key,
                    ChangeKind.WITHDRAWN,
                    current,
                    {"status": [current["status"], AssignmentStatus.WITHDRAWN]},
                    pk=current["pk"],
                )
            )
    return plan


@transaction.atomic
def apply_import(plan: ImportPlan, *, user=None, progress: Callable | None = None) -> ImportRun:
    """
    Write a plan: one transaction, so it applies completely or not at all.

    Returns the ImportRun that records it, with a RegistryChange per
    assignment added, changed or withdrawn.
    """
    now = timezone.now()
    run = ImportRun.objects.create(
        file_name=plan.file_name[:255],
        sha256=plan.sha256,
        started_by=user,
        started_at=now,
        outcome=ImportRun.Outcome.APPLIED if plan.has_changes else ImportRun.Outcome.NO_CHANGES,
        total_rows=plan.total_rows,
        new_count=len(plan.new),
        changed_count=len(plan.changed),
        unchanged_count=plan.unchanged_count,
        withdrawn_count=len(plan.withdrawn),
        invalid_count=plan.counts["invalid"],
    )
    step = progress or (lambda done: None)

    created = Assignment.objects.bulk_create(
        [
            Assignment(natural_key=change.key, created_at=now, updated_at=now, **change.values)
            for change in plan.new
        ],
        batch_size=BATCH_SIZE,
    )
    # SQLite and PostgreSQL both return primary keys from bulk_create.
    for change, assignment in zip(plan.new, created, strict=True):
        change.pk = assignment.pk
    step(len(plan.new))

    updated = []
    for change in plan.changed:
        assignment = Assignment(pk=change.pk, natural_key=change.key, updated_at=now)
        for name in registry.VALUE_FIELDS:
            setattr(assignment, name, change.values[name])
        assignment.withdrawn_at = None
        updated.append(assignment)
    Assignment.objects.bulk_update(
        updated,
        [*registry.VALUE_FIELDS, "withdrawn_at", "updated_at"],
        batch_size=500,
    )
    step(len(plan.changed))

    withdrawn_pks = [change.pk for change in plan.withdrawn]
    for start in range(0, len(withdrawn_pks), BATCH_SIZE):
        Assignment.objects.filter(pk__in=withdrawn_pks[start : start + BATCH_SIZE]).update(
            status=AssignmentStatus.WITHDRAWN, withdrawn_at=now, updated_at=now
        )
    step(len(plan.withdrawn))

    RegistryChange.objects.bulk_create(
        [
            RegistryChange(
                run=run,
                assignment_id=change.pk,
                kind=change.kind,
                fields=change.fields,
                port_low=change.values["port_low"],
                port_high=change.values["port_high"],
                created_at=now,
            )
            for change in (*plan.new, *plan.changed, *plan.withdrawn)
        ],
        batch_size=BATCH_SIZE,
    )
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run


def import_registry(data: bytes, *, file_name: str, user=None, skip_invalid=False):
    """Plan and apply in one call; returns (plan, run)."""
    plan = plan_import(data, file_name=file_name, skip_invalid=skip_invalid)
    return plan, apply_import(plan, user=user)
