from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from ..models import FAQ, Citation, RelatedPort, Story, StoryRevision


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0


class FAQInline(TranslationTabularInline):
    model = FAQ
    extra = 0


class RelatedPortInline(TranslationTabularInline):
    model = RelatedPort
    extra = 0
    autocomplete_fields = ("port",)


@admin.register(Story)
class StoryAdmin(TranslationAdmin):
    list_display = ("title", "port", "status", "is_live", "last_reviewed_at", "updated_at")
    list_filter = ("status", "port__range_class")
    search_fields = ("=port__number", "title", "summary")
    autocomplete_fields = ("port",)
    filter_horizontal = ("authors",)
    readonly_fields = ("created_at", "updated_at", "published_at", "live_revision")
    inlines = [CitationInline, FAQInline, RelatedPortInline]
    fieldsets = (
        (None, {"fields": ("port", "title", "summary", "body")}),
        (
            _("Publishing"),
            {
                "fields": (
                    "status",
                    "authors",
                    "go_live_at",
                    "expire_at",
                    "last_reviewed_at",
                    "published_at",
                    "live_revision",
                )
            },
        ),
    )

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, obj):
        return obj.is_live()


@admin.register(StoryRevision)
class StoryRevisionAdmin(admin.ModelAdmin):
    list_display = ("story", "author", "created_at")
    search_fields = ("=story__port__number",)
    raw_id_fields = ("story",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
