"""Observed-data imports (manage.py import_observed) and their rows: read only."""

from django.contrib import admin

from ports.admin.mixins import HistoryAdminMixin, RefusalReasonMixin
from ports.models import ObservedPort, ObservedRun


@admin.register(ObservedRun)
class ObservedRunAdmin(HistoryAdminMixin, RefusalReasonMixin, admin.ModelAdmin):
    list_display = (
        "source",
        "file_name",
        "source_date",
        "imported_at",
        "outcome",
        "current",
        "reason",
        "new_count",
        "changed_count",
        "unchanged_count",
        "removed_count",
        "skipped_count",
    )
    list_filter = ("source", "outcome", "current")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "imported_at"


@admin.register(ObservedPort)
class ObservedPortAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = (
        "port",
        "transport",
        "name",
        "source",
        "frequency",
        "frequency_rank",
    )
    list_filter = ("source", "transport")
    search_fields = ("=port", "name")
    list_select_related = ("run",)
    raw_id_fields = ("run",)
