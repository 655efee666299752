"""The registry: port numbers, IANA's assignments, imports, changes, known uses."""

from functools import cache

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Subquery, Value, When
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ports.choices import (
    PORT_MAX,
    PORT_MIN,
    RANGE_BOUNDS,
    AssignmentStatus,
    ChangeKind,
    RangeClass,
    Transport,
    port_range_text,
)

port_number_validators = [MinValueValidator(PORT_MIN), MaxValueValidator(PORT_MAX)]


class PortQuerySet(models.QuerySet):
    def ensure(self, numbers):
        """Create the Port rows for these numbers that do not exist yet."""
        numbers = set(numbers)
        existing = set(self.filter(number__in=numbers).values_list("number", flat=True))
        self.bulk_create([Port(number=n) for n in sorted(numbers - existing)])
        return self.filter(number__in=numbers)


class Port(models.Model):
    """
    A port number that something refers to: a story, a known use, a link.

    Every number 0–65535 has a public page whether or not it has a row here;
    rows are created on demand so that other tables can point at them.
    """

    number = models.PositiveIntegerField(
        _("number"), primary_key=True, validators=port_number_validators
    )
    range_class = models.GeneratedField(
        expression=Case(
            When(number__lte=RANGE_BOUNDS[RangeClass.SYSTEM][1], then=Value("system")),
            When(number__lte=RANGE_BOUNDS[RangeClass.USER][1], then=Value("user")),
            default=Value("dynamic"),
        ),
        output_field=models.CharField(max_length=10, choices=RangeClass),
        db_persist=True,
        verbose_name=_("range class"),
    )

    objects = PortQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("port")
        verbose_name_plural = _("ports")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=PORT_MIN, number__lte=PORT_MAX),
                name="port_number_in_range",
            ),
        ]

    def __str__(self):
        return str(self.number)

    def get_absolute_url(self):
        return reverse("ports:port-detail", kwargs={"number": self.number})


class AssignmentQuerySet(models.QuerySet):
    def covering(self, number):
        """
        Assignments whose port or port range includes this number.

        `port_low <= n <= port_high` alone makes the (port_low, port_high)
        index scan every row below n. A range covering n starts at most the
        widest range's width below it, so the scan is bounded on both sides.
        """
        return self.covering_any([number])

    def covering_any(self, numbers, *, widest=None):
        """
        Assignments whose port or port range includes one of these numbers.
        `widest` is the widest range's width, if the caller has just read it
        (widest_range()); otherwise the query reads it.
        """
        if widest is None:
            queryset = self.alias(widest=widest_range())
            return queryset.covering_any(numbers, widest=F("widest"))
        condition = Q()
        for number in numbers:
            condition |= Q(
                port_low__lte=number,
                port_high__gte=number,
                port_low__gte=number - widest,
            )
        return self.filter(condition) if condition else self.none()

    def current(self):
        return self.exclude(status=AssignmentStatus.WITHDRAWN)

    def get_by_natural_key(self, registry_key):
        return self.get(registry_key=registry_key)

    # The nearest registered ports on either side of a port, nearest first:
    # each an index scan of the (port_low, port_high) index that stops at the
    # slice taken.

    def registered_below(self, number, low):
        """Assigned rows ending below `number`, starting at `low` or above."""
        return self.filter(
            status=AssignmentStatus.ASSIGNED,
            port_high__lt=number,
            # Implied by the line above; it makes the scan start below n.
            port_low__lt=number,
            port_low__gte=low,
        ).order_by("-port_low", "-port_high", "service_name")

    def registered_above(self, number, high):
        """Assigned rows starting above `number`, at `high` or below."""
        return self.filter(
            status=AssignmentStatus.ASSIGNED, port_low__gt=number, port_low__lte=high
        ).order_by("port_low", "port_high", "service_name")


class Assignment(models.Model):
    """
    One row of IANA's Service Name and Transport Protocol Port Number Registry.

    The registry has no key column; `registry_key` is computed by
    ports.registry.iana_csv.natural_key() and is what an update is matched on. It is
    also the model's natural key for Django's serializers (dumpdata).
    """

    registry_key = models.TextField(_("registry key"), unique=True, editable=False)
    service_name = models.CharField(_("service name"), max_length=255, blank=True)
    transport = models.CharField(
        _("transport"), max_length=4, choices=Transport, blank=True
    )
    port_low = models.PositiveIntegerField(
        _("first port"), null=True, blank=True, validators=port_number_validators
    )
    port_high = models.PositiveIntegerField(
        _("last port"), null=True, blank=True, validators=port_number_validators
    )
    description = models.TextField(_("description"), blank=True)
    assignee = models.TextField(_("assignee"), blank=True)
    contact = models.TextField(_("contact"), blank=True)
    registration_date = models.CharField(
        _("registration date"),
        max_length=10,
        blank=True,
        help_text="YYYY-MM or YYYY-MM-DD",
    )
    modification_date = models.CharField(
        _("modification date"),
        max_length=10,
        blank=True,
        help_text="YYYY-MM or YYYY-MM-DD",
    )
    reference = models.TextField(_("reference"), blank=True)
    service_code = models.TextField(_("service code"), blank=True)
    unauthorized_use = models.TextField(_("unauthorized use reported"), blank=True)
    assignment_notes = models.TextField(_("assignment notes"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssignmentStatus,
        default=AssignmentStatus.ASSIGNED,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_at = models.DateTimeField(_("first imported"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["port_low", "transport", "service_name"]
        verbose_name = _("registry assignment")
        verbose_name_plural = _("registry assignments")
        permissions = [
            ("import_assignment", "Can import registry files"),
            ("export_assignment", "Can export the registry"),
        ]
        indexes = [
            models.Index(
                fields=["port_low", "port_high"], name="assignment_port_range"
            ),
            models.Index(fields=["service_name"], name="assignment_service_name"),
            # Service names are looked up in any case (search, /services/<name>/).
            models.Index(Upper("service_name"), name="assignment_service_upper"),
            # The widest range bounds "which rows cover port n" (covering()).
            models.Index(F("port_high") - F("port_low"), name="assignment_port_width"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(port_low__isnull=True, port_high__isnull=True)
                | Q(
                    port_low__isnull=False,
                    port_high__isnull=False,
                    port_low__gte=PORT_MIN,
                    port_high__lte=PORT_MAX,
                    port_low__lte=F("port_high"),
                ),
                name="assignment_port_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(transport__in=Transport.values),
                name="assignment_transport_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=AssignmentStatus.WITHDRAWN, withdrawn_at__isnull=False
                )
                | (
                    ~Q(status=AssignmentStatus.WITHDRAWN) & Q(withdrawn_at__isnull=True)
                ),
                name="assignment_withdrawn_has_date",
            ),
        ]

    def __str__(self):
        name = self.service_name or self.description or _("unnamed")
        return f"{name} {self.port_display}/{self.transport or '-'}"

    def natural_key(self):
        return (self.registry_key,)

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high, dash="-")

    @property
    def is_range(self):
        return self.port_low is not None and self.port_low != self.port_high


@cache
def widest_range() -> Subquery:
    """
    The width of the widest assignment's port range, a lookup in the
    port-width index. Built once: a query only compiles it.
    """
    widths = (
        Assignment._base_manager.annotate(width=F("port_high") - F("port_low"))
        .filter(width__isnull=False)
        .order_by("-width")
        .values("width")[:1]
    )
    return Subquery(widths, output_field=models.IntegerField())


class ImportRunQuerySet(models.QuerySet):
    def published(self):
        """
        Imports that changed the registry, as readers see them: applied ones
        and the baseline, never previews, refusals or files that changed nothing.
        """
        return self.filter(
            outcome__in=[ImportRun.Outcome.APPLIED, ImportRun.Outcome.BASELINE]
        )


class ImportRun(models.Model):
    """
    One import of a registry file: who, when, what it held, what it did.

    `registry_date` is the registry's own time: the newest registration or
    modification date inside the file, or the date the importer gave. The
    first import into an empty registry is the baseline: it records no change
    per assignment, and history starts at its registry date.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        BASELINE = "baseline", _("Baseline (first import)")
        NO_CHANGES = "no_changes", _("No changes")
        REFUSED = "refused", _("Refused")

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    registry_date = models.DateField(
        _("registry date"),
        null=True,
        blank=True,
        help_text=_(
            "The registry's own date: the newest registration or modification "
            "date in the file, unless the importer gave one."
        ),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    withdrawn_count = models.PositiveIntegerField(_("withdrawn"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    message = models.TextField(_("message"), blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self):
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("ports:registry-change-detail", kwargs={"pk": self.pk})

    @property
    def is_baseline(self):
        return self.outcome == self.Outcome.BASELINE


class RegistryChange(models.Model):
    """What one import did to one assignment; `fields` maps name → [old, new]."""

    run = models.ForeignKey(
        ImportRun,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("import"),
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("assignment"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    # Copied from the assignment so that port history needs no join.
    port_low = models.PositiveIntegerField(null=True, blank=True)
    port_high = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        indexes = [
            # Stories reviewed before a change to their port's entries.
            models.Index(fields=["port_low", "port_high"], name="change_port_range"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.assignment}"
