from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Assignment, ImportRun, KnownUse, Port, RegistryChange


class KnownUseInline(admin.TabularInline):
    model = KnownUse
    extra = 0


@admin.register(Port)
class PortAdmin(admin.ModelAdmin):
    list_display = ("number", "range_class")
    list_filter = ("range_class",)
    search_fields = ("=number",)
    inlines = [KnownUseInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = (
        "service_name",
        "port_display",
        "transport",
        "description",
        "status",
        "registration_date",
        "modification_date",
    )
    list_filter = ("status", "transport")
    search_fields = ("service_name", "description", "assignee", "=port_low")
    readonly_fields = ("natural_key", "created_at", "updated_at", "withdrawn_at")
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("port"), ordering="port_low")
    def port_display(self, obj):
        return obj.port_display


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = (
        "file_name",
        "started_at",
        "started_by",
        "outcome",
        "new_count",
        "changed_count",
        "unchanged_count",
        "withdrawn_count",
        "invalid_count",
    )
    list_filter = ("outcome",)
    search_fields = ("file_name", "sha256")
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RegistryChange)
class RegistryChangeAdmin(admin.ModelAdmin):
    list_display = ("assignment", "kind", "run", "created_at")
    list_filter = ("kind",)
    search_fields = ("assignment__service_name", "=port_low")
    list_select_related = ("assignment", "run")
    raw_id_fields = ("assignment", "run")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KnownUse)
class KnownUseAdmin(admin.ModelAdmin):
    list_display = ("port", "name", "kind", "source_title")
    list_filter = ("kind",)
    search_fields = ("=port__number", "name", "description")
    autocomplete_fields = ("port",)
