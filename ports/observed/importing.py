"""
Observed-data imports: what an nmap-services or services file changes, and
applying it in one step, with the registry import's discipline.

plan_import() compares a file with a source's live rows without writing
(the preview); import_observed() plans again inside a lock and, when
something differs, replaces the source's rows in one transaction and makes
its run the current one. A file equal to the live data (rows, date and
version), or byte for byte the live file whatever its modification time,
changes nothing and is recorded as "no changes"; a refused file is
recorded by record_refused() with its reason.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ports.imports import ImportRefused, lock_table
from ports.models import ObservedPort, ObservedRun, ObservedSource
from ports.observed import files
from ports.observed.signals import observed_imported

BATCH_SIZE = 2000
# Fields compared between a file's entry and a live row (besides its key).
VALUE_FIELDS = ("aliases", "frequency", "frequency_rank", "comment")


@dataclass
class PlannedRow:
    key: tuple  # (port, transport, name)
    values: dict  # VALUE_FIELDS
    old: dict | None = None

    @property
    def label(self):
        port, transport, name = self.key
        return f"{port}/{transport} {name}"

    def describe(self):
        """The row as a preview line shows it: its values, or what changed."""
        if self.old is None:
            return _values_text(self.values)
        return ", ".join(
            f"{name}: {_value_text(self.old[name])} → {_value_text(self.values[name])}"
            for name in VALUE_FIELDS
            if self.old[name] != self.values[name]
        )


def _value_text(value):
    if isinstance(value, list):
        return " ".join(value) or "none"
    if isinstance(value, float):
        return f"{value:.6f}"  # as nmap-services writes it
    return "none" if value is None or value == "" else str(value)


def _values_text(values):
    shown = [
        f"{name}: {_value_text(value)}"
        for name, value in values.items()
        if value not in (None, "", [])
    ]
    return ", ".join(shown)


@dataclass
class ObservedPlan:
    """What importing one file would do to its source's live data."""

    source: str
    file_name: str
    sha256: str
    total_rows: int
    source_date: datetime.date | None
    dated_by: str
    source_version: str
    skipped: dict
    rows: list[dict]  # every entry of the file, as ObservedPort fields
    new: list[PlannedRow] = field(default_factory=list)
    changed: list[PlannedRow] = field(default_factory=list)
    removed: list[PlannedRow] = field(default_factory=list)
    unchanged_count: int = 0
    # The live run's date and version differ from the file's, or there is none.
    redated: bool = False
    first_import: bool = False
    # What the output says besides the counts: doubts about the file.
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self):
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged_count,
            "removed": len(self.removed),
            "skipped": sum(self.skipped.values()),
        }

    @property
    def has_changes(self):
        return bool(self.new or self.changed or self.removed or self.redated)

    def summary(self):
        return " ".join(f"{name}={count}" for name, count in self.counts.items())

    @property
    def live_count(self):
        """The source's live rows before this import."""
        return len(self.changed) + len(self.removed) + self.unchanged_count

    @property
    def shrinks(self):
        """It would remove more than half of the live rows: a truncated file?"""
        return len(self.removed) * 2 > self.live_count

    def shrink_refusal(self):
        return (
            f"The file would remove {len(self.removed):,} of the "
            f"{self.live_count:,} live rows ({self.total_rows:,} in the file): "
            "is it truncated? Nothing was imported. If it is whole, import it "
            "with --allow-shrink."
        )

    def changed_ports(self) -> set[int] | None:
        """
        The ports whose pages change, or None for every port page: each shows
        the source's date, and says so when the source does not list it.
        """
        if self.redated:
            return None
        return {row.key[0] for row in (*self.new, *self.changed, *self.removed)}

    @property
    def date_text(self):
        if self.source_date is None:
            return "Undated: neither a $Id header nor a modification time."
        how = ObservedRun.DatedBy(self.dated_by).label
        version = f", revision {self.source_version}" if self.source_version else ""
        return f"Dated {self.source_date.isoformat()} by {how}{version}."


def read_file(source: str, data: bytes) -> files.ParsedFile:
    """Parse a file of this source, or raise ImportRefused saying why not."""
    try:
        return files.parse(source, data)
    except files.ObservedFileError as error:
        raise ImportRefused(str(error)) from None


def plan_import(
    source: str,
    data: bytes,
    *,
    file_name: str,
    modified: datetime.datetime | None = None,
) -> ObservedPlan:
    """
    Compare a file with the source's live rows, without writing anything.
    `modified` (the file's modification time) dates a file without a $Id
    header: the services file has none.
    """
    return _plan(read_file(source, data), file_name=file_name, modified=modified)


def import_observed(
    source: str,
    data: bytes,
    *,
    file_name: str,
    modified: datetime.datetime | None = None,
    user=None,
    allow_shrink: bool = False,
) -> tuple[ObservedPlan, ObservedRun]:
    """
    Import a file as its source's live data: all of it or, on any error,
    nothing. Returns the plan and the run that records it: "applied" (the
    new current run) or "no changes". A file that would remove more than
    half of the live rows is refused unless `allow_shrink`: a file cut short
    would otherwise wipe the source out.
    """
    parsed = read_file(source, data)
    with transaction.atomic():
        # As the registry import locks the registry: imports never interleave.
        lock_table(ObservedPort)
        plan = _plan(parsed, file_name=file_name, modified=modified)
        if plan.shrinks and not allow_shrink:
            raise ImportRefused(plan.shrink_refusal())
        run = _apply(plan, user=user)
    return plan, run


def record_refused(
    *, source: str, file_name: str, reason: str, sha256: str = "", user=None
) -> ObservedRun:
    """A refused file, recorded with its reason; nothing else is written."""
    return ObservedRun.objects.create(
        source=source,
        file_name=file_name[:255],
        sha256=sha256,
        started_by=user,
        outcome=ObservedRun.Outcome.REFUSED,
        message=reason,
    )


def _dating(parsed, modified):
    if parsed.source_date is not None:
        return parsed.source_date, ObservedRun.DatedBy.HEADER
    if modified is not None:
        return timezone.localdate(modified), ObservedRun.DatedBy.MODIFIED
    return None, ""


def _plan(parsed: files.ParsedFile, *, file_name: str, modified) -> ObservedPlan:
    current = (
        ObservedRun.objects.current()
        .filter(source=parsed.source)
        .values_list("source_date", "dated_by", "source_version", "sha256")
        .first()
    )
    if current is not None and current[3] == parsed.sha256:
        # The same bytes again (a copy, or the file touched): the data keeps
        # its date, whatever the copy's modification time says.
        source_date, dated_by = current[:2]
    else:
        source_date, dated_by = _dating(parsed, modified)
    ranks = files.ranks(parsed.entries) if parsed.source == "nmap" else {}
    rows = [
        {
            "port": entry.port,
            "transport": entry.transport,
            "name": entry.name,
            "aliases": list(entry.aliases),
            "frequency": entry.frequency,
            "frequency_rank": ranks.get(entry.key),
            "comment": entry.comment,
        }
        for entry in parsed.entries
    ]
    plan = ObservedPlan(
        source=parsed.source,
        file_name=file_name,
        sha256=parsed.sha256,
        total_rows=len(rows),
        source_date=source_date,
        dated_by=dated_by,
        source_version=parsed.source_version,
        skipped=parsed.skipped,
        rows=rows,
        redated=current is None
        or (current[0], current[2]) != (source_date, parsed.source_version),
        first_import=current is None,
    )
    if parsed.source == ObservedSource.NMAP and not parsed.source_version:
        # Warned, not refused: the rows may be sound (a trimmed or local copy),
        # and a file cut short is refused for what it removes. But nmap ships
        # every nmap-services with the header, so the file is worth a look.
        plan.warnings.append(
            "No $Id header: nmap's own nmap-services has one. Is this file "
            "whole, and nmap's?"
        )
    existing = {
        (port, transport, name): dict(zip(VALUE_FIELDS, values, strict=True))
        for port, transport, name, *values in ObservedPort.objects.filter(
            source=parsed.source
        )
        .order_by()
        .values_list("port", "transport", "name", *VALUE_FIELDS)
    }
    for row in rows:
        key = (row["port"], row["transport"], row["name"])
        values = {name: row[name] for name in VALUE_FIELDS}
        old = existing.pop(key, None)
        if old is None:
            plan.new.append(PlannedRow(key, values))
        elif old != values:
            plan.changed.append(PlannedRow(key, values, old))
        else:
            plan.unchanged_count += 1
    plan.removed = [PlannedRow(key, values) for key, values in existing.items()]
    return plan


def _run_message(plan: ObservedPlan) -> str:
    lines = [plan.date_text, *plan.warnings]
    if plan.skipped:
        protocols = ", ".join(
            f"{name} ({n})" for name, n in sorted(plan.skipped.items())
        )
        lines.append(
            f"Skipped {plan.counts['skipped']} line(s) of protocols that are not IP "
            f"transports: {protocols}."
        )
    if not plan.has_changes:
        lines.append("No changes: the live data already matches this file.")
    return "\n".join(lines)


def _apply(plan: ObservedPlan, *, user) -> ObservedRun:
    fields = {
        "source": plan.source,
        "file_name": plan.file_name[:255],
        "sha256": plan.sha256,
        "source_date": plan.source_date,
        "dated_by": plan.dated_by,
        "source_version": plan.source_version,
        "started_by": user,
        "imported_at": timezone.now(),
        "total_rows": plan.total_rows,
        "new_count": len(plan.new),
        "changed_count": len(plan.changed),
        "unchanged_count": plan.unchanged_count,
        "removed_count": len(plan.removed),
        "skipped_count": plan.counts["skipped"],
        "message": _run_message(plan),
    }
    if not plan.has_changes:
        return ObservedRun.objects.create(
            **fields, outcome=ObservedRun.Outcome.NO_CHANGES
        )
    ObservedRun.objects.filter(source=plan.source, current=True).update(current=False)
    run = ObservedRun.objects.create(
        **fields, outcome=ObservedRun.Outcome.APPLIED, current=True
    )
    # The whole source is replaced: simpler than updating rows in place,
    # and an update that changes anything changes most of nmap's ranks.
    ObservedPort.objects.filter(source=plan.source).delete()
    ObservedPort.objects.bulk_create(
        [ObservedPort(run=run, source=plan.source, **row) for row in plan.rows],
        batch_size=BATCH_SIZE,
    )
    observed_imported.send(sender=ObservedRun, run=run, ports=plan.changed_ports())
    return run
