"""Readers' answers to "Was this page helpful?" and the prompt that asks it."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, FloatField, Max, Q, Window
from django.db.models.functions import Cast, RowNumber
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


# How many of the latest comments editors see per story and language.
RECENT_COMMENTS = 3


class FeedbackVoteQuerySet(models.QuerySet):
    def per_story_language(self):
        """
        One row per story and language readers answered on: votes,
        helpful_votes and last_vote. Answers on pages without a story are left
        out: there is nothing to edit.
        """
        return (
            self.filter(story__isnull=False)
            .values("story_id", "language")
            .annotate(
                votes=Count("pk"),
                helpful_votes=Count("pk", filter=Q(helpful=True)),
                last_vote=Max("created_at"),
            )
            .order_by()
        )

    def needing_attention(self, *, share=None, min_votes=None, since=None):
        """
        The stories (per language) readers find unhelpful: at least min_votes
        answers since the given time, fewer than share percent of them "yes";
        least helpful first. The defaults are the FEEDBACK_ATTENTION_* settings.
        """
        share = settings.FEEDBACK_ATTENTION_SHARE if share is None else share
        if min_votes is None:
            min_votes = settings.FEEDBACK_ATTENTION_MIN_VOTES
        if since is None:
            since = timezone.now() - datetime.timedelta(
                days=settings.FEEDBACK_ATTENTION_DAYS
            )
        # Whole numbers on both sides, so a share exactly at the threshold is
        # never below it by a rounding error.
        return (
            self.filter(created_at__gte=since)
            .per_story_language()
            .alias(shortfall=F("votes") * share - F("helpful_votes") * 100)
            .filter(votes__gte=min_votes, shortfall__gt=0)
            .order_by(
                Cast("helpful_votes", FloatField()) / F("votes"),
                "-votes",
                "story_id",
                "language",
            )
        )

    def latest_comments(self, pairs=None, *, per_pair=RECENT_COMMENTS):
        """
        The newest comments on each (story id, language) pair, at most
        per_pair each, as {pair: [(created_at, comment), …]}; in one query.
        Without pairs: on every pair these answers are on, those with
        comments only.
        """
        votes = self.filter(story__isnull=False)
        if pairs is not None:
            if not pairs:
                return {}
            which = Q()
            for story_id, language in pairs:
                which |= Q(story_id=story_id, language=language)
            votes = votes.filter(which)
        rows = (
            votes.exclude(comment="")
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("story_id"), F("language")],
                    order_by=[F("created_at").desc(), F("pk").desc()],
                )
            )
            .filter(rank__lte=per_pair)
            .order_by("-created_at", "-pk")
            .values_list("story_id", "language", "created_at", "comment")
        )
        comments = {pair: [] for pair in pairs or ()}
        for story_id, language, created_at, comment in rows:
            comments.setdefault((story_id, language), []).append((created_at, comment))
        return comments


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

    objects = FeedbackVoteQuerySet.as_manager()

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
