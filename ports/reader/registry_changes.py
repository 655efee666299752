"""
The registry's changes as readers see them: the imports that changed it,
newest first, and what each one added, changed and withdrew.

Only applied imports and the baseline are public (ImportRun.objects.published());
previews, refusals and files that changed nothing are the editors' business.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.paginator import Page, Paginator
from django.db.models import Case, F, IntegerField, Max, When
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ports.choices import AssignmentStatus, ChangeKind, Transport, port_range_text
from ports.models import ImportRun, RegistryChange
from ports.registry import iana_csv

RUNS_PER_PAGE = 50
# Changes on one page of an import: a registry-wide edit changes thousands.
CHANGES_PER_PAGE = 500

# How a changed field is named on the page (the registry's own values stay
# English); in the registry's column order.
FIELD_LABELS = {
    "service_name": _("Service name"),
    "transport": _("Transport"),
    "port_low": _("Ports"),
    "port_high": _("Ports"),
    "description": _("Description"),
    "assignee": _("Assignee"),
    "contact": _("Contact"),
    "registration_date": _("Registered"),
    "modification_date": _("Modified"),
    "reference": _("Reference"),
    "service_code": _("Service code"),
    "unauthorized_use": _("Unauthorized use reported"),
    "assignment_notes": _("Notes"),
    "status": _("Status"),
}
# Fields whose values are the site's words, not the registry's text.
_CHOICES = {"status": AssignmentStatus, "transport": Transport}


def registry_day(run) -> date:
    """The registry's date of an import, or, for runs without one, its own."""
    if run.registry_date is not None:
        return run.registry_date
    return run.started_at.date()


def run_summary(run) -> str:
    """ "46 added, 19 changed, 19 withdrawn", or what a baseline brought."""
    if run.is_baseline:
        return ngettext(
            "The first import: %(count)s entry. The registry's history here "
            "starts with it.",
            "The first import: %(count)s entries. The registry's history here "
            "starts with them.",
            run.new_count,
        ) % {"count": _number(run.new_count)}
    return gettext("%(added)s added, %(changed)s changed, %(withdrawn)s withdrawn") % {
        "added": _number(run.new_count),
        "changed": _number(run.changed_count),
        "withdrawn": _number(run.withdrawn_count),
    }


def _number(count):
    """A count as the reader's language writes it: 14,447 or 14.447."""
    return number_format(count, force_grouping=True)


def published_runs():
    """Newest first in registry time, then in the order they were imported."""
    return ImportRun.objects.published().order_by(
        F("registry_date").desc(nulls_last=True), "-started_at", "-id"
    )


def last_modified() -> datetime | None:
    """When the public list of changes last changed: the last published import."""
    return published_runs().aggregate(last=Max("finished_at"))["last"]


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: object
    new: object
    # Whether the values are the registry's (English) text, or the site's words.
    registry_text: bool = True

    @property
    def label(self):
        return FIELD_LABELS.get(self.name, self.name)


@dataclass
class ChangeRow:
    """One assignment an import added, changed or withdrew."""

    kind: str
    service_name: str
    description: str
    transport: str
    port_low: int | None
    port_high: int | None
    fields: list = field(default_factory=list)

    @property
    def name(self):
        return self.service_name or self.description

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high)

    @property
    def is_range(self):
        return self.port_low is not None and self.port_low != self.port_high

    @property
    def transport_label(self):
        return Transport(self.transport).label if self.transport else ""


def _field_changes(fields: dict) -> list[FieldChange]:
    changes = []
    for name in iana_csv.VALUE_FIELDS:
        if name not in fields:
            continue
        old, new = fields[name]
        choices = _CHOICES.get(name)
        if choices is not None:
            old, new = (
                choices(value).label if value in choices.values else value
                for value in (old, new)
            )
        changes.append(FieldChange(name, old, new, registry_text=choices is None))
    return changes


@dataclass
class RunChanges:
    """One page of an import's changes, as the registry changes page shows it."""

    run: ImportRun
    page_obj: Page | None = None
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    withdrawn: list = field(default_factory=list)

    @property
    def registry_day(self):
        return registry_day(self.run)

    @property
    def first_page(self):
        return self.page_obj is None or self.page_obj.number == 1


# The page's sections in order; a restored assignment is a change of status.
_SECTIONS = {
    ChangeKind.ADDED: 0,
    ChangeKind.CHANGED: 1,
    ChangeKind.RESTORED: 1,
    ChangeKind.WITHDRAWN: 2,
}


def run_changes(pk: int, page: int | str = 1) -> RunChanges | None:
    """
    A published import and one page of its changes (CHANGES_PER_PAGE): the
    added, then the changed, then the withdrawn, each by port; or None.
    Three queries: the run, the count of its changes, the page's rows.
    Raises django.core.paginator.InvalidPage for a page it does not have.
    """
    run = published_runs().filter(pk=pk).first()
    if run is None:
        return None
    rows = (
        RegistryChange.objects.filter(run=run)
        .alias(
            section=Case(
                *(When(kind=kind, then=n) for kind, n in _SECTIONS.items()),
                output_field=IntegerField(),
            )
        )
        .order_by(
            "section",
            "port_low",
            "port_high",
            "assignment__service_name",
            "assignment__transport",
            "id",
        )
        .values_list(
            "kind",
            "fields",
            "assignment__service_name",
            "assignment__description",
            "assignment__transport",
            "assignment__port_low",
            "assignment__port_high",
        )
    )
    page_obj = Paginator(rows, CHANGES_PER_PAGE).page(page)
    changes = RunChanges(run, page_obj)
    groups = [changes.added, changes.changed, changes.withdrawn]
    for kind, fields, *entry in page_obj:
        found = _field_changes(fields) if kind != ChangeKind.WITHDRAWN else []
        groups[_SECTIONS[kind]].append(ChangeRow(kind, *entry, fields=found))
    return changes
