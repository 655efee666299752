"""
What editors tell search: synonyms (a word readers type, meaning other
words: "dns" for "domain name") and promotions (a query pinned to ports, in
an order, shown as recommended). Both apply to readers only once a reviewer
approved them; an editor's change sends an approved entry back for review.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ports.models.registry import port_number_validators

# What a reader's query is split into: words, with inner - + . ' (ms-sql-s, c++).
QUERY_WORD_RE = re.compile(r"[^\W_]+(?:[-+.'][^\W_]+)*\+*")


def normalize_query(text: str) -> str:
    """A query as promotions are matched: case and spacing left aside."""
    return " ".join(text.casefold().split())


class ReviewedQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(approved_at__isnull=False)

    def expansions(self, words) -> dict[str, str]:
        """Approved synonyms of these words: term → the words it stands for."""
        terms = {word.casefold() for word in words}
        return dict(
            self.approved().filter(term__in=terms).values_list("term", "expansion")
        )


class Reviewed(models.Model):
    """Approval by a reviewer (ports.publish_story), as stories have it."""

    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    objects = ReviewedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_approved(self):
        return self.approved_at is not None

    @staticmethod
    def may_approve(user) -> bool:
        return user.has_perm("ports.publish_story")

    def set_approved(self, approved: bool, user) -> None:
        """Approve (by `user`, now) or send back for review; not saved."""
        if approved and not self.is_approved:
            self.approved_by, self.approved_at = user, timezone.now()
        elif not approved:
            self.approved_by, self.approved_at = None, None


class SearchSynonym(Reviewed):
    term = models.CharField(
        _("term"),
        max_length=60,
        unique=True,
        help_text=_("One word as readers type it, e.g. dns."),
    )
    expansion = models.CharField(
        _("means"),
        max_length=200,
        help_text=_(
            "The words it stands for, as the registry writes them, e.g. "
            "domain name. Search finds either."
        ),
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")

    def __str__(self):
        return f"{self.term} → {self.expansion}"

    def clean(self):
        self.term = normalize_query(self.term)
        self.expansion = " ".join(self.expansion.split())
        if QUERY_WORD_RE.fullmatch(self.term) is None:
            raise ValidationError({"term": _("A synonym's term is one word.")})
        if not QUERY_WORD_RE.findall(self.expansion):
            raise ValidationError({"expansion": _("Give at least one word.")})


class SearchPromotion(Reviewed):
    query = models.CharField(
        _("query"),
        max_length=200,
        unique=True,
        help_text=_("What readers type, e.g. remote desktop; case does not matter."),
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Shown to readers above the recommended ports (English)."),
    )

    class Meta:
        ordering = ["query"]
        verbose_name = _("search promotion")
        verbose_name_plural = _("search promotions")

    def __str__(self):
        return self.query

    def clean(self):
        self.query = normalize_query(self.query)
        if not self.query:
            raise ValidationError({"query": _("Give the query readers type.")})


class PromotedPort(models.Model):
    """One port a promotion pins, in its place."""

    promotion = models.ForeignKey(
        SearchPromotion,
        on_delete=models.CASCADE,
        related_name="ports",
        verbose_name=_("promotion"),
    )
    port = models.PositiveIntegerField(_("port"), validators=port_number_validators)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("promoted port")
        verbose_name_plural = _("promoted ports")
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "port"], name="promotedport_once_per_promotion"
            ),
        ]

    def __str__(self):
        return f"{self.promotion}: {self.port}"
