"""
Search synonyms and promotions: editors edit them, reviewers approve them
(a checkbox only they see, or the list's action). An editor's change to an
approved entry sends it back for review. The admin's history records each.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ports.models import PromotedPort, SearchPromotion, SearchSynonym
from ports.models.search_tuning import Reviewed

REVIEW_FIELDS = ("approved_by", "approved_at")


class ReviewForm(forms.ModelForm):
    """A reviewer's form: the entry and whether readers get it."""

    approved = forms.BooleanField(
        label=_("Approved"),
        required=False,
        help_text=_("Readers' searches use it once it is approved."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("approved", self.instance.is_approved)


class ReviewedAdmin(admin.ModelAdmin):
    readonly_fields = REVIEW_FIELDS
    actions = ["approve"]
    edit_fields = ()

    def get_fields(self, request, obj=None):
        approving = ["approved"] if Reviewed.may_approve(request.user) else []
        return [*self.edit_fields, *approving, *REVIEW_FIELDS]

    def get_form(self, request, obj=None, **kwargs):
        if Reviewed.may_approve(request.user):
            kwargs["form"] = ReviewForm
        return super().get_form(request, obj, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        entry = form.instance
        was_approved = entry.is_approved
        if Reviewed.may_approve(request.user):
            entry.set_approved(form.cleaned_data["approved"], request.user)
        elif form.has_changed() or any(formset.has_changed() for formset in formsets):
            entry.set_approved(False, None)
        if entry.is_approved != was_approved:
            entry.save(update_fields=REVIEW_FIELDS)

    @admin.display(description=_("approved"), boolean=True, ordering="approved_at")
    def is_approved(self, obj):
        return obj.is_approved

    @admin.action(
        description=_("Approve the selected entries"), permissions=["approve"]
    )
    def approve(self, request, queryset):
        entries = list(queryset.filter(approved_at__isnull=True))
        for entry in entries:
            entry.set_approved(True, request.user)
            entry.save(update_fields=REVIEW_FIELDS)
            self.log_change(request, entry, [{"changed": {"fields": ["approved"]}}])
        self.message_user(
            request,
            ngettext(
                "%(count)d entry approved.", "%(count)d entries approved.", len(entries)
            )
            % {"count": len(entries)},
            messages.SUCCESS,
        )

    def has_approve_permission(self, request):
        return Reviewed.may_approve(request.user)


@admin.register(SearchSynonym)
class SearchSynonymAdmin(ReviewedAdmin):
    list_display = ("term", "expansion", "is_approved", "approved_by", "approved_at")
    list_filter = (("approved_at", admin.EmptyFieldListFilter),)
    search_fields = ("term", "expansion")
    edit_fields = ("term", "expansion")


class PromotedPortInline(admin.TabularInline):
    model = PromotedPort
    fields = ("port", "position")
    extra = 1


@admin.register(SearchPromotion)
class SearchPromotionAdmin(ReviewedAdmin):
    list_display = (
        "query",
        "pinned_ports",
        "is_approved",
        "approved_by",
        "approved_at",
    )
    list_filter = (("approved_at", admin.EmptyFieldListFilter),)
    search_fields = ("query", "note", "ports__port")
    edit_fields = ("query", "note")
    inlines = [PromotedPortInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("ports")

    @admin.display(description=_("ports"))
    def pinned_ports(self, obj):
        return ", ".join(str(promoted.port) for promoted in obj.ports.all())
