"""Readers' answers to "Was this page helpful?" and the prompt that asks it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ports.models.registry import Port
from ports.models.stories import Story
from ports.models.translated import TranslationEdits


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
            # A reader's votes of the day, for the daily limit (ports.reader.feedback).
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
