"""Stories: the working copy, its parts, its saved versions and workflow steps."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ports.choices import KnownUseKind, StoryStatus
from ports.models.registry import Port, RegistryChange
from ports.models.translated import TranslationEdits


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
        # Search joins a version's texts to the story it is live in.
        related_name="live_stories",
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
    # Whether the live version reports a known use, set when a version goes
    # live: the free-port finder reads it for thousands of ports at a time,
    # where reading each live version's content would unpack its whole JSON.
    live_known_uses = models.BooleanField(
        _("live version reports known uses"), default=False, editable=False
    )
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
        # (ports.reader.page_data.listing_moments): index lookups.
        indexes = [
            models.Index(fields=["updated_at"], name="story_updated"),
            models.Index(fields=["expire_at"], name="story_expires"),
            models.Index(fields=["scheduled_go_live_at"], name="story_scheduled"),
            # Search joins every live version's text to its story: read from
            # this index alone, not from the story rows, wide with the
            # working copy in every language.
            models.Index(
                fields=["live_revision", "port", "go_live_at", "expire_at"],
                name="story_live",
            ),
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


class KnownUse(models.Model):
    """
    A use of a port outside the registry: unofficial, conflicting, or malware.

    Part of the port's story, so it follows the story's rules: an editor's
    change is a draft, readers see the live version's uses (in its revision
    content), and every change is in the story's revisions.
    """

    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="known_uses",
        verbose_name=_("story"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=KnownUseKind)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_title = models.CharField(_("source title"), max_length=300)
    source_url = models.URLField(_("source URL"), max_length=500)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["story", "position", "id"]
        verbose_name = _("known use")
        verbose_name_plural = _("known uses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(source_url="") & ~Q(source_title=""),
                name="known_use_has_source",
            ),
        ]

    def __str__(self):
        return self.name


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


class StoryAutosave(models.Model):
    """
    An editor's unsaved change form of a story, kept in the background while
    they type so that a closed tab or a crash loses nothing. It is not a
    revision: one per editor and story, replaced at each autosave, deleted
    when they save the story or discard it, and never written to the story.
    """

    story = models.ForeignKey(
        Story,
        on_delete=models.CASCADE,
        related_name="autosaves",
        verbose_name=_("story"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("editor"),
    )
    # The form's fields as it posts them: [[name, value], …].
    data = models.JSONField(_("form data"))
    # The story's version the form was loaded with: a save from the restored
    # form is refused if the story has moved on since, as any save would be.
    base_version = models.PositiveIntegerField(_("based on version"))
    saved_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("autosaved story form")
        verbose_name_plural = _("autosaved story forms")
        constraints = [
            models.UniqueConstraint(
                fields=["story", "user"], name="story_autosave_one_per_editor"
            ),
        ]

    def __str__(self):
        return f"{self.story_id} @ {self.saved_at:%Y-%m-%d %H:%M} ({self.user_id})"
