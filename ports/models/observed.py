"""
What the world runs, beside what IANA assigned: nmap's open-frequency table
(nmap-services) and the operating system's services file (/etc/services),
imported as dated data sources.

Each import of a source is an ObservedRun. The rows of the run whose data is
live (`current`) are that source's ObservedPort rows: an import that
changes something replaces them all, in one transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ports.choices import PORT_MAX, PORT_MIN, Transport
from ports.models.registry import port_number_validators

# The transports a source row may have (a port needs one).
OBSERVED_TRANSPORTS = [value for value in Transport.values if value]


class ObservedSource(models.TextChoices):
    NMAP = "nmap", _("nmap's open-frequency table (nmap-services)")
    SERVICES = "services", _("the operating system's services file (/etc/services)")


# Where a reader can read what each source is.
SOURCE_URLS = {
    ObservedSource.NMAP: "https://nmap.org/book/nmap-services.html",
    ObservedSource.SERVICES: "https://manpages.debian.org/services.5",
}


class ObservedRunQuerySet(models.QuerySet):
    def current(self):
        """The runs whose data is live: at most one per source."""
        return self.filter(current=True)


class ObservedRun(models.Model):
    """One import of an observed-data file: what it held, its date, what it did."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        NO_CHANGES = "no_changes", _("No changes")
        REFUSED = "refused", _("Refused")

    class DatedBy(models.TextChoices):
        HEADER = "header", _("the file's header")
        MODIFIED = "modified", _("the file's modification time")

    source = models.CharField(_("source"), max_length=10, choices=ObservedSource)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    source_date = models.DateField(
        _("source date"),
        null=True,
        blank=True,
        help_text=_(
            "The data's own date: nmap-services' $Id header, otherwise the "
            "file's modification time."
        ),
    )
    dated_by = models.CharField(
        _("dated by"), max_length=10, choices=DatedBy, blank=True
    )
    source_version = models.CharField(
        _("source version"),
        max_length=40,
        blank=True,
        help_text=_("nmap-services' revision, from its $Id header."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    current = models.BooleanField(
        _("current"),
        default=False,
        help_text=_("Its rows are the source's data readers see."),
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    removed_count = models.PositiveIntegerField(_("removed"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    message = models.TextField(_("message"), blank=True)

    objects = ObservedRunQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("observed-data import")
        verbose_name_plural = _("observed-data imports")
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(current=True),
                name="observedrun_one_current_per_source",
            ),
            models.CheckConstraint(
                condition=Q(current=False) | Q(outcome="applied"),
                name="observedrun_current_was_applied",
            ),
        ]

    def __str__(self):
        when = f"{self.imported_at:%Y-%m-%d %H:%M}"
        return f"{self.get_source_display()}: {self.file_name} ({when})"


class ObservedPortQuerySet(models.QuerySet):
    def for_port(self, number):
        """Every source's rows for one port number, with the run they came from."""
        return (
            self.filter(port=number)
            .select_related("run")
            .order_by("source", "transport", "name")
        )

    def nmap(self):
        return self.filter(source=ObservedSource.NMAP)

    def services(self):
        return self.filter(source=ObservedSource.SERVICES)

    def top_open(self, transport, limit):
        """
        nmap's most often open ports of a transport, as `nmap --top-ports`
        ranks them: by stored rank, never-open ports left out.
        """
        return (
            self.nmap()
            .filter(transport=transport, frequency__gt=0)
            .order_by("frequency_rank", "port")[:limit]
        )


class ObservedPort(models.Model):
    """
    A port/transport as one source knows it: its name (and, in a services
    file, aliases) and, from nmap, how often it was found open.
    """

    run = models.ForeignKey(
        ObservedRun,
        on_delete=models.PROTECT,
        related_name="ports",
        verbose_name=_("import"),
    )
    # The run's source again, so that a source's rows are one index range.
    source = models.CharField(_("source"), max_length=10, choices=ObservedSource)
    port = models.PositiveIntegerField(_("port"), validators=port_number_validators)
    transport = models.CharField(_("transport"), max_length=4, choices=Transport)
    name = models.CharField(_("name"), max_length=100)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    frequency = models.FloatField(
        _("open frequency"),
        null=True,
        blank=True,
        help_text=_("nmap only: the share of scanned hosts it was found open on."),
    )
    frequency_rank = models.PositiveIntegerField(
        _("rank"),
        null=True,
        blank=True,
        help_text=_(
            "nmap only: 1 for the most often open port of its transport; equal "
            "frequencies share a rank."
        ),
    )
    comment = models.TextField(_("comment"), blank=True)

    objects = ObservedPortQuerySet.as_manager()

    class Meta:
        ordering = ["source", "port", "transport", "name"]
        verbose_name = _("observed port")
        verbose_name_plural = _("observed ports")
        indexes = [
            models.Index(fields=["port"], name="observedport_port"),
            models.Index(
                fields=["source", "transport", "frequency_rank"],
                name="observedport_rank",
            ),
        ]
        constraints = [
            # Also the index of a source's ports of one transport, in order.
            models.UniqueConstraint(
                fields=["source", "transport", "port", "name"],
                name="observedport_unique_name",
            ),
            models.CheckConstraint(
                condition=Q(port__gte=PORT_MIN, port__lte=PORT_MAX),
                name="observedport_port_in_range",
            ),
            models.CheckConstraint(
                condition=Q(transport__in=OBSERVED_TRANSPORTS),
                name="observedport_transport_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    source=ObservedSource.NMAP,
                    frequency__gte=0,
                    frequency__lte=1,
                    frequency_rank__isnull=False,
                )
                | (
                    ~Q(source=ObservedSource.NMAP)
                    & Q(frequency__isnull=True, frequency_rank__isnull=True)
                ),
                name="observedport_frequency_from_nmap",
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.port}/{self.transport} ({self.source})"
