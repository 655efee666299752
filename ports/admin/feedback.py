from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from ..models import FeedbackPrompt, FeedbackVote


@admin.register(FeedbackPrompt)
class FeedbackPromptAdmin(TranslationAdmin):
    list_display = ("key", "question", "updated_at")


@admin.register(FeedbackVote)
class FeedbackVoteAdmin(admin.ModelAdmin):
    list_display = ("port", "language", "helpful", "comment", "created_at")
    list_filter = ("helpful", "language")
    search_fields = ("=port__number", "comment")
    date_hierarchy = "created_at"
    raw_id_fields = ("port", "story")

    def has_add_permission(self, request):
        return False
