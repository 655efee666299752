"""
Readers' feedback in the admin: the translated prompt, the votes, and the
report of votes per story and language with recent comments (and its CSV).

Comments are readers' plain text: the admin shows them escaped, as Django
does for every value, and never marks them safe.
"""

import datetime
from urllib.parse import urlencode

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
from ports.models import FeedbackPrompt, FeedbackVote, Story
from ports.reader.feedback import feedback_report
from ports.registry.resources import FeedbackReportResource

# The report's periods, in days (None: all time); the admin index's "Needs
# attention" queue links here with its own period too (report_periods()).
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "90"
REPORT_PERMISSION = "ports.view_feedbackvote"


def report_periods():
    """The report's periods and the needs-attention window, shortest first."""
    days = settings.FEEDBACK_ATTENTION_DAYS
    periods = {**PERIODS, str(days): days}
    return dict(sorted(periods.items(), key=lambda item: item[1] or float("inf")))


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
        periods = report_periods()
        period = request.GET.get("period", DEFAULT_PERIOD)
        if period not in periods:
            period = DEFAULT_PERIOD
        language = request.GET.get("language", "")
        if language not in dict(settings.LANGUAGES):
            language = ""
        story_id = request.GET.get("story", "")
        story = (
            Story.objects.only("port_id", "title_en").filter(pk=int(story_id)).first()
            if story_id.isascii() and story_id.isdigit() and len(story_id) < 12
            else None
        )
        days = periods[period]
        since = timezone.now() - datetime.timedelta(days=days) if days else None
        rows = feedback_report(
            since=since, language=language, story_id=story.pk if story else None
        )
        return period, language, story, rows

    def report_view(self, request):
        period, language, story, rows = self._report(request)

        def query(**changes):
            """This report's query string, with some parameters changed."""
            params = {
                "period": period,
                "language": language,
                "story": story.pk if story else "",
                **changes,
            }
            return "?" + urlencode(
                {name: value for name, value in params.items() if value}
            )

        return TemplateResponse(
            request,
            "admin/ports/feedbackvote/report.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Feedback report"),
                "rows": rows,
                "period": period,
                "language": language,
                "story": story,
                "period_links": [
                    (value, query(period=value)) for value in report_periods()
                ],
                "language_links": [
                    (code, name, query(language=code))
                    for code, name in [("", _("all")), *settings.LANGUAGES]
                ],
                "all_stories_url": query(story=""),
                "export_url": reverse("admin:ports_feedback_report_export") + query(),
            },
        )

    def report_export_view(self, request):
        period, language, story, rows = self._report(request)
        dataset = FeedbackReportResource().export(rows)
        response = HttpResponse(dataset.csv, content_type="text/csv; charset=utf-8")
        suffix = f"-{language}" if language else ""
        if story is not None:
            suffix += f"-port{story.port_id}"
        name = f"feedback-{timezone.localdate():%Y-%m-%d}-{period}{suffix}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
