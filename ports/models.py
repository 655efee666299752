from functools import cache

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import i18n
from .choices import (
    PORT_MAX,
    PORT_MIN,
    RANGE_BOUNDS,
    AssignmentStatus,
    ChangeKind,
    KnownUseKind,
    RangeClass,
    StoryStatus,
    Transport,
    port_range_text,
)

port_number_validators = [MinValueValidator(PORT_MIN), MaxValueValidator(PORT_MAX)]


class TranslationEdits(models.Model):
    """
    Remembers when each language of each translated field was last edited,
    so that a translation older than the English it follows can be flagged.
    Kept on save by comparing with the values the object was loaded with.
    """

    # {"body_en": "2025-03-28T09:00:00+00:00", "body_fr": …}
    translation_edited_at = models.JSONField(
        _("translations last edited"), default=dict, blank=True, editable=False
    )

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_translations = i18n.localized_values(instance)
        return instance

    def save(self, *args, **kwargs):
        previous = None if self._state.adding else self._loaded_translations_or_db()
        if i18n.stamp_translation_edits(self, previous=previous):
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "translation_edited_at"}
        super().save(*args, **kwargs)
        self._loaded_translations = i18n.localized_values(self)

    def _loaded_translations_or_db(self):
        loaded = getattr(self, "_loaded_translations", None)
        if loaded is None:
            # Built by hand with a primary key (not loaded): compare with the row.
            row = type(self)._base_manager.filter(pk=self.pk).first()
            loaded = i18n.localized_values(row) if row is not None else None
        return loaded


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
    ports.registry.natural_key() and is what an update is matched on. It is
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


class ImportRun(models.Model):
    """One import of a registry file: who, when, what it held, what it did."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        NO_CHANGES = "no_changes", _("No changes")
        DRY_RUN = "dry_run", _("Preview only")
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
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    withdrawn_count = models.PositiveIntegerField(_("withdrawn"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self):
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


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
            models.Index(fields=["port_low", "port_high"], name="change_port_range"),
            models.Index(F("port_high") - F("port_low"), name="change_port_width"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.assignment}"


class KnownUse(models.Model):
    """A use of a port outside the registry: unofficial, conflicting, or malware."""

    port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        related_name="known_uses",
        verbose_name=_("port"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=KnownUseKind)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_title = models.CharField(_("source title"), max_length=300)
    source_url = models.URLField(_("source URL"), max_length=500)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["port", "position", "id"]
        verbose_name = _("known use")
        verbose_name_plural = _("known uses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(source_url="") & ~Q(source_title=""),
                name="known_use_has_source",
            ),
        ]

    def __str__(self):
        return f"{self.port}: {self.name}"


class StoryQuerySet(models.QuerySet):
    def live(self, now=None):
        """
        Stories with a live version readers may see at this moment (one rule
        with Story.is_live, which a test holds to it).
        """
        now = now or timezone.now()
        return self.filter(
            live_revision__isnull=False,
            go_live_at__lte=now,
        ).filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))

    def awaiting_review(self):
        return self.filter(status=StoryStatus.IN_REVIEW)

    def scheduled(self):
        """Stories with a version approved to go live later."""
        return self.filter(scheduled_revision__isnull=False)

    def written_by(self, user):
        """Stories the user is an author of or has saved a revision of."""
        return self.filter(
            Q(authors=user.pk)
            | Exists(StoryRevision.objects.filter(story=OuterRef("pk"), author=user.pk))
        ).distinct()

    def sent_back(self):
        """Drafts whose latest workflow step was a reviewer sending them back."""
        latest = StoryTransition.objects.filter(story=OuterRef("pk")).order_by(
            "-created_at", "-id"
        )
        return self.alias(last_action=Subquery(latest.values("action")[:1])).filter(
            status=StoryStatus.DRAFT, last_action=StoryTransition.Action.SEND_BACK
        )

    def review_overdue(self, now=None, days=365):
        """Stories readers can see whose content nobody has reviewed for `days`."""
        cutoff = (now or timezone.now()) - timezone.timedelta(days=days)
        return self.filter(live_revision__isnull=False).filter(
            Q(last_reviewed_at__isnull=True) | Q(last_reviewed_at__lt=cutoff)
        )

    def registry_changed(self):
        """
        Stories whose port's registry facts changed (a RegistryChange covering
        the port) after the story was last reviewed, or at all if never reviewed.
        """
        changes = RegistryChange.objects.filter(
            port_low__lte=OuterRef("port_id"), port_high__gte=OuterRef("port_id")
        )
        return self.filter(
            Q(Exists(changes), last_reviewed_at__isnull=True)
            | Q(Exists(changes.filter(created_at__gt=OuterRef("last_reviewed_at"))))
        )


class Story(TranslationEdits):
    """
    The editors' story of a port.

    The fields here are the working copy. What readers see is `live_revision`,
    a snapshot taken when the story was published, so a published page stays
    unchanged while the next draft is written and reviewed.
    """

    port = models.OneToOneField(
        Port, on_delete=models.PROTECT, related_name="story", verbose_name=_("port")
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_(
            "One or two sentences: shown under the title and in search results."
        ),
    )
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_(
            "Markdown. Mark sources with [^1], [^2]… matching the citations' numbers."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=StoryStatus, default=StoryStatus.DRAFT
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stories",
        verbose_name=_("authors"),
    )
    live_revision = models.ForeignKey(
        "StoryRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("live version"),
    )
    # An approved version waiting for its go-live time; readers keep seeing
    # `live_revision` (if any) until publish_scheduled swaps it in.
    scheduled_revision = models.ForeignKey(
        "StoryRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled version"),
    )
    scheduled_go_live_at = models.DateTimeField(
        _("scheduled to go live"), null=True, blank=True
    )
    scheduled_expire_at = models.DateTimeField(
        _("scheduled to expire"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    go_live_at = models.DateTimeField(_("live from"), null=True, blank=True)
    expire_at = models.DateTimeField(_("live until"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    # Bumped on every save; a save based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["port"]
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        permissions = [
            ("submit_story", "Can submit stories for review"),
            ("publish_story", "Can publish, schedule, send back and unpublish stories"),
        ]
        # When reader pages last changed or next change by themselves
        # (ports.pages.listing_moments): index lookups.
        indexes = [
            models.Index(fields=["updated_at"], name="story_updated"),
            models.Index(fields=["expire_at"], name="story_expires"),
            models.Index(fields=["scheduled_go_live_at"], name="story_scheduled"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=StoryStatus.PUBLISHED)
                | Q(published_at__isnull=False, live_revision__isnull=False),
                name="story_published_has_live_version",
            ),
            models.CheckConstraint(
                condition=~Q(status=StoryStatus.SCHEDULED)
                | Q(scheduled_revision__isnull=False),
                name="story_scheduled_has_scheduled_version",
            ),
            models.CheckConstraint(
                condition=Q(
                    scheduled_revision__isnull=True,
                    scheduled_go_live_at__isnull=True,
                    scheduled_expire_at__isnull=True,
                )
                | Q(
                    scheduled_revision__isnull=False, scheduled_go_live_at__isnull=False
                ),
                name="story_schedule_complete",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_expire_at__isnull=True)
                | Q(scheduled_expire_at__gt=F("scheduled_go_live_at")),
                name="story_scheduled_expiry_after_go_live",
            ),
            models.CheckConstraint(
                condition=Q(expire_at__isnull=True)
                | Q(go_live_at__isnull=True)
                | Q(expire_at__gt=F("go_live_at")),
                name="story_expires_after_going_live",
            ),
        ]

    def __str__(self):
        return f"{self.port_id}: {self.title}"

    def get_absolute_url(self):
        return reverse("ports:port-detail", kwargs={"number": self.port_id})

    def is_live(self, now=None):
        now = now or timezone.now()
        return bool(
            self.live_revision_id
            and self.go_live_at
            and self.go_live_at <= now
            and (self.expire_at is None or self.expire_at > now)
        )


class Citation(models.Model):
    """A numbered source of a story; the body cites it as [^position]."""

    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="citations",
        verbose_name=_("story"),
    )
    position = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("author or publisher"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    accessed_on = models.DateField(_("date accessed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["story", "position"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(
                fields=["story", "position"], name="citation_number_unique_per_story"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="citation_number_positive"
            ),
        ]

    def __str__(self):
        return f"[{self.position}] {self.title}"


class FAQ(TranslationEdits):
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="faqs", verbose_name=_("story")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))

    class Meta:
        ordering = ["story", "position", "id"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")

    def __str__(self):
        return self.question


class RelatedPort(TranslationEdits):
    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="related_ports",
        verbose_name=_("story"),
    )
    port = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("related port")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["story", "position", "port"]
        verbose_name = _("related port")
        verbose_name_plural = _("related ports")
        constraints = [
            models.UniqueConstraint(
                fields=["story", "port"], name="related_port_once_per_story"
            ),
        ]

    def __str__(self):
        return f"{self.story.port_id} → {self.port_id}"


class StoryRevision(models.Model):
    """A saved state of a story with its citations, FAQs and related ports."""

    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("story"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    content = models.JSONField(_("content"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("story revision")
        verbose_name_plural = _("story revisions")

    def __str__(self):
        return f"{self.story} @ {self.created_at:%Y-%m-%d %H:%M}"


class StoryTransition(models.Model):
    """One workflow step of a story: who, when, from which status to which, why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted for review")
        PUBLISH = "publish", _("Published")
        SCHEDULE = "schedule", _("Scheduled")
        SEND_BACK = "send_back", _("Sent back to draft")
        UNPUBLISH = "unpublish", _("Unpublished")
        GO_LIVE = "go_live", _("Went live as scheduled")
        EXPIRE = "expire", _("Expired")
        EDIT = "edit", _("Edited after approval")
        REVERT = "revert", _("Reverted to an earlier revision")
        REVIEWED = "reviewed", _("Reviewed without changes")

    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name=_("story"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action)
    from_status = models.CharField(_("from"), max_length=10, choices=StoryStatus)
    to_status = models.CharField(_("to"), max_length=10, choices=StoryStatus)
    comment = models.TextField(_("comment"), blank=True)
    revision = models.ForeignKey(
        StoryRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revision"),
    )
    go_live_at = models.DateTimeField(_("live from"), null=True, blank=True)
    expire_at = models.DateTimeField(_("live until"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("story transition")
        verbose_name_plural = _("story transitions")
        indexes = [
            models.Index(fields=["story", "-created_at"], name="transition_story_time"),
        ]

    def __str__(self):
        return f"{self.story_id}: {self.get_action_display()}"


class FeedbackPrompt(TranslationEdits):
    """The "Was this page helpful?" prompt, translated into every language."""

    # The prompt every port page shows.
    SITE_KEY = "default"

    key = models.SlugField(_("key"), unique=True, default=SITE_KEY)
    question = models.CharField(_("question"), max_length=200)
    yes_label = models.CharField(_("yes label"), max_length=50)
    no_label = models.CharField(_("no label"), max_length=50)
    comment_prompt = models.CharField(_("comment prompt"), max_length=200, blank=True)
    thanks = models.CharField(_("thank-you text"), max_length=200)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("feedback prompt")
        verbose_name_plural = _("feedback prompts")

    def __str__(self):
        return self.key


class FeedbackVote(models.Model):
    """One reader's answer to the prompt on one port page."""

    COMMENT_MAX_LENGTH = 1000

    port = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="votes", verbose_name=_("port")
    )
    story = models.ForeignKey(
        Story,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="votes",
        verbose_name=_("story"),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    # A salted hash of the client that changes daily; never the raw address.
    client_hash = models.CharField(max_length=64, blank=True, editable=False)
    day = models.DateField(_("day"), default=timezone.localdate)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback vote")
        verbose_name_plural = _("feedback votes")
        indexes = [
            # A reader's votes of the day, for the daily limit (ports.feedback).
            models.Index(fields=["client_hash", "day"], name="feedback_reader_day"),
            models.Index(fields=["story", "language"], name="feedback_story_language"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["port", "language", "client_hash", "day"],
                condition=~Q(client_hash=""),
                name="feedback_one_vote_per_reader_page_day",
            ),
        ]

    def __str__(self):
        return f"{self.port_id} {self.language} {'yes' if self.helpful else 'no'}"
