"""
Readers' feedback in the admin: the translated prompt, the votes, and the
report of votes per story and language with recent comments (and its CSV).

Comments are readers' plain text: the admin shows them escaped, as Django
does for every value, and never marks them safe.
"""

import datetime

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from ports.admin.mixins import LanguageSwitchMixin
from ports.models import FeedbackPrompt, FeedbackVote
from ports.reader.feedback import feedback_report
from ports.registry.resources import FeedbackReportResource

# The report's periods, in days (None: all time).
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "90"
REPORT_PERMISSION = "ports.view_feedbackvote"


@admin.register(FeedbackPrompt)
class FeedbackPromptAdmin(LanguageSwitchMixin, TranslationAdmin):
    list_display = ("key", "question", "updated_at")
    fields = ("key", "question", "yes_label", "no_label", "comment_prompt", "thanks")


@admin.register(FeedbackVote)
class FeedbackVoteAdmin(admin.ModelAdmin):
    list_display = (
        "port",
        "story",
        "language",
        "helpful",
        "short_comment",
        "created_at",
    )
    list_filter = ("helpful", "language", "day")
    list_select_related = ("story",)
    search_fields = ("=port__number", "comment")
    date_hierarchy = "created_at"
    raw_id_fields = ("port", "story")
    readonly_fields = (
        "port",
        "story",
        "language",
        "helpful",
        "comment",
        "day",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return Truncator(obj.comment).chars(120)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="ports_feedback_report"),
            path(
                "report/export.csv",
                view(self.report_export_view),
                name="ports_feedback_report_export",
            ),
            *super().get_urls(),
        ]

    def _report(self, request):
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        period = request.GET.get("period", DEFAULT_PERIOD)
        if period not in PERIODS:
            period = DEFAULT_PERIOD
        language = request.GET.get("language", "")
        if language not in dict(settings.LANGUAGES):
            language = ""
        days = PERIODS[period]
        since = timezone.now() - datetime.timedelta(days=days) if days else None
        return period, language, feedback_report(since=since, language=language)

    def report_view(self, request):
        period, language, rows = self._report(request)
        return TemplateResponse(
            request,
            "admin/ports/feedbackvote/report.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Feedback report"),
                "rows": rows,
                "period": period,
                "periods": list(PERIODS),
                "language": language,
                "languages": settings.LANGUAGES,
                "export_url": reverse("admin:ports_feedback_report_export")
                + f"?period={period}&language={language}",
            },
        )

    def report_export_view(self, request):
        period, language, rows = self._report(request)
        dataset = FeedbackReportResource().export(rows)
        response = HttpResponse(dataset.csv, content_type="text/csv; charset=utf-8")
        suffix = f"-{language}" if language else ""
        name = f"feedback-{timezone.localdate():%Y-%m-%d}-{period}{suffix}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
