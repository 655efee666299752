"""
The story admin: writing, the editorial workflow, revisions and the audit trail.

Who may do what is decided by ports.editorial.workflow and enforced by
ports.editorial.actions; this module only shows it and routes requests there.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from modeltranslation.utils import build_localized_fieldname

from ports.admin import live_preview, story_endpoints
from ports.admin.filters import RegistryChangedFilter
from ports.admin.mixins import (
    HistoryAdminMixin,
    LanguageSwitchInlineMixin,
    LanguageSwitchMixin,
)
from ports.admin.story_forms import STEPS, PortNumberField, StoryChangeForm
from ports.choices import RangeClass, StoryStatus
from ports.editorial import actions, autosave, workflow
from ports.editorial.diffs import revision_diff
from ports.editorial.markup_check import removed_markup
from ports.editorial.revisions import story_snapshot
from ports.models import (
    FAQ,
    Assignment,
    Citation,
    FeedbackVote,
    KnownUse,
    RelatedPort,
    Story,
    StoryRevision,
    StoryTransition,
)


class StoryPartInline:
    """Citations, FAQs and related ports follow the story's own edit rules."""

    def _story_editable(self, request, obj):
        return obj is None or workflow.can_edit(request.user, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._story_editable(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._story_editable(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._story_editable(
            request, obj
        )


# Stacked, two fields a line: a table of six columns scrolls sideways at
# laptop widths, and titles and addresses need room to be read.
class CitationInline(StoryPartInline, admin.StackedInline):
    model = Citation
    extra = 0
    fields = (("position", "title"), ("publisher", "accessed_on"), ("url", "note"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "url":
            field.error_messages["invalid"] = _(
                "Only http:// and https:// addresses are allowed, such as "
                "https://www.rfc-editor.org/rfc/rfc6335."
            )
        return field


# Translated fields are listed once: modeltranslation puts in every
# language's field, and the story form's language switch shows one language.
class FAQInline(StoryPartInline, LanguageSwitchInlineMixin, TranslationStackedInline):
    model = FAQ
    extra = 0
    fields = ("position", "question", "answer")


class RelatedPortInline(
    StoryPartInline, LanguageSwitchInlineMixin, TranslationStackedInline
):
    model = RelatedPort
    extra = 0
    fields = ("port", "note", "position")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "port":
            return PortNumberField(label=_("Related port"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class KnownUseInline(StoryPartInline, admin.StackedInline):
    """
    The port's known uses, edited with its story so that they are reviewed
    and versioned with it: readers see the live version's.
    """

    model = KnownUse
    extra = 0
    fields = ("kind", "name", "description", "source_title", "source_url", "position")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "source_url":
            field.error_messages["invalid"] = _(
                "Only http:// and https:// addresses are allowed, such as "
                "https://www.speedguide.net/port.php?port=373."
            )
        return field


class LiveStateFilter(admin.SimpleListFilter):
    title = _("on the site")
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return (
            ("live", _("Live")),
            ("live_draft", _("Live, with a newer draft")),
            ("scheduled", _("Scheduled")),
            ("offline", _("Not live")),
        )

    def queryset(self, request, queryset):
        live = queryset.live()
        match self.value():
            case "live":
                return live
            case "live_draft":
                return live.exclude(status=StoryStatus.PUBLISHED)
            case "scheduled":
                return queryset.scheduled()
            case "offline":
                return queryset.exclude(pk__in=live.values("pk"))
        return queryset


class WorkQueueFilter(admin.SimpleListFilter):
    """The admin index's work queues, so "see all" lands on a filtered list."""

    title = _("work queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(queue.key, queue.title) for queue in workflow.QUEUES]

    def queryset(self, request, queryset):
        for queue in workflow.QUEUES:
            if queue.key == self.value():
                return queue.filter(queryset, request.user)
        return queryset


def with_helpful_share(queryset):
    """Stories with their readers' votes and the share that found them helpful."""
    votes = FeedbackVote.objects.filter(story=OuterRef("pk")).order_by().values("story")
    count = votes.annotate(n=Count("pk")).values("n")
    helpful = votes.annotate(n=Count("pk", filter=Q(helpful=True))).values("n")
    vote_count = Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    return queryset.annotate(
        vote_count=vote_count,
        helpful_share=ExpressionWrapper(
            100.0
            * Coalesce(Subquery(helpful, output_field=IntegerField()), Value(0))
            / NullIf(vote_count, Value(0)),
            output_field=FloatField(),
        ),
    )


@admin.register(Story)
class StoryAdmin(LanguageSwitchMixin, TranslationAdmin):
    form = StoryChangeForm
    change_form_template = "admin/ports/story/change_form.html"

    class Media:
        # The language switch's files too: this class replaces the mixin's.
        js = (
            *LanguageSwitchMixin.Media.js,
            "js/length-counter.js",
            "js/live-preview.js",
            "js/admin-json.js",
            "js/autosave.js",
            "js/presence.js",
        )
        css = LanguageSwitchMixin.Media.css

    list_display = (
        "port",
        "title",
        "status",
        "range_class",
        "live_state",
        "last_reviewed_at",
        "updated_at",
        "helpful",
    )
    list_display_links = ("port", "title")
    list_filter = (
        WorkQueueFilter,
        "status",
        LiveStateFilter,
        "port__range_class",
        RegistryChangedFilter,
    )
    list_select_related = ("port",)
    search_fields = ("=port__number", "title_en", "title")
    search_help_text = _("Port number, title, or a service name from the registry.")
    # Authors as checkboxes: the admin's two-box filter widget names its
    # search boxes with aria-label on an element without a role, which
    # screen readers ignore (axe: aria-prohibited-attr).
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }
    inlines = [CitationInline, FAQInline, RelatedPortInline, KnownUseInline]
    readonly_fields = (
        "status",
        "live_revision",
        "go_live_at",
        "expire_at",
        "scheduled_go_live_at",
        "scheduled_expire_at",
        "published_at",
        "last_reviewed_at",
    )
    fieldsets = (
        (None, {"fields": ("port", "title", "summary", "body", "edit_version")}),
        (_("Authors"), {"fields": ("authors",)}),
        (_("Publishing"), {"classes": ("collapse",), "fields": readonly_fields}),
    )

    def get_queryset(self, request):
        return with_helpful_share(super().get_queryset(request))

    @admin.display(description=_("helpful %"), ordering="helpful_share")
    def helpful(self, obj):
        if not obj.vote_count:
            return "–"
        return _("%(share).0f%% of %(votes)s") % {
            "share": obj.helpful_share,
            "votes": obj.vote_count,
        }

    @admin.display(description=_("range class"), ordering="port__range_class")
    def range_class(self, obj):
        return RangeClass(obj.port.range_class).label

    @admin.display(description=_("on the site"))
    def live_state(self, obj):
        if obj.is_live():
            label = (
                _("Live") if obj.status == StoryStatus.PUBLISHED else _("Live + draft")
            )
        elif obj.scheduled_revision_id:
            label = _("Scheduled")
        else:
            label = _("Draft only")
        return label

    # Permissions: the workflow's edit rule, on every request.

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or workflow.can_edit(request.user, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A story stays with its port: moving it would move a live page.
        return ("port", *fields) if obj is not None else fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "port":
            return PortNumberField(label=_("Port number"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if term:
            # A service name is the registry's, on any assignment covering the port.
            services_match = Assignment.objects.filter(
                service_name__iexact=term,
                port_low__lte=OuterRef("port_id"),
                port_high__gte=OuterRef("port_id"),
            )
            queryset |= self.get_queryset(request).filter(Exists(services_match))
        return queryset, may_have_duplicates

    # Saving: the version guard, then a revision of story and parts together.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except actions.StaleStory:
            # Someone saved between our check and our write (possible only
            # without row locks); the retry's form check now reports it.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            actions.story_claim_version(
                story=obj, expected_version=form.cleaned_data["edit_version"]
            )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        actions.story_record_save(story=form.instance, by=request.user)
        if change:
            autosave.story_autosave_discard(story=form.instance, by=request.user)
        self._report_removed_markup(request, form.instance)

    def _report_removed_markup(self, request, story):
        """Tell the editor what of the body readers will not get, and why."""
        for code, name in settings.LANGUAGES:
            body = getattr(story, build_localized_fieldname("body", code)) or ""
            for problem in removed_markup(body):
                messages.warning(
                    request,
                    _("Body (%(language)s): %(problem)s")
                    % {"language": name, "problem": problem},
                )

    def response_add(self, request, obj, post_url_continue=None):
        if "_submit_for_review" in request.POST:
            return HttpResponseRedirect(
                self._step_url(obj, StoryTransition.Action.SUBMIT)
            )
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_submit_for_review" in request.POST:
            return HttpResponseRedirect(
                self._step_url(obj, StoryTransition.Action.SUBMIT)
            )
        return super().response_change(request, obj)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        may_save = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        context["can_submit_for_review"] = (
            may_save
            and request.user.has_perm(workflow.SUBMIT_PERMISSION)
            and (obj is None or obj.status != StoryStatus.IN_REVIEW)
        )
        if obj is not None:
            context.update(self._workflow_context(request, obj))
            context["presence_url"] = reverse(
                "admin:ports_story_presence", args=[obj.pk]
            )
            if may_save:
                context.update(self._editing_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _workflow_context(self, request, story):
        transitions = story.transitions.select_related("user")
        latest = transitions.first()
        sent_back = (
            latest
            if story.status == StoryStatus.DRAFT
            and latest is not None
            and latest.action == StoryTransition.Action.SEND_BACK
            else None
        )
        return {
            "transitions": transitions,
            "sent_back": sent_back,
            "steps": [
                (self._step_url(story, action), STEPS[action][2])
                for action in workflow.allowed_steps(request.user, story)
            ],
            "preview_url": reverse("ports:story-preview", args=[story.pk]),
            "revisions_url": reverse("admin:ports_story_revisions", args=[story.pk]),
            "compare_live_url": self._compare_live_url(story),
            "is_live_now": story.is_live(),
        }

    def _editing_context(self, request, story):
        """The live preview's and autosave's addresses, and a kept copy to offer."""
        kept = (
            autosave.story_autosave_of(story=story, user=request.user)
            if request.method == "GET"  # else the form shows what was posted
            else None
        )
        return {
            "live_preview_url": reverse(
                "admin:ports_story_live_preview", args=[story.pk]
            ),
            "autosave_url": reverse("admin:ports_story_autosave", args=[story.pk]),
            "autosave": kept,
            "autosave_time": story_endpoints.clock_time(kept.saved_at) if kept else "",
        }

    def _compare_live_url(self, story):
        """The working copy (the latest revision) against the live version."""
        latest = story.revisions.values_list("pk", flat=True).first()
        if not story.live_revision_id or latest in (None, story.live_revision_id):
            return None
        url = reverse("admin:ports_story_compare", args=[story.pk])
        return f"{url}?from={story.live_revision_id}&to={latest}"

    # Workflow, revisions, comparison and revert pages.

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/workflow/<str:action>/",
                view(self.step_view),
                name="ports_story_step",
            ),
            path(
                "<int:object_id>/live-preview/",
                view(self.live_preview_view),
                name="ports_story_live_preview",
            ),
            path(
                "<int:object_id>/autosave/",
                view(self.autosave_view),
                name="ports_story_autosave",
            ),
            path(
                "<int:object_id>/presence/",
                view(self.presence_view),
                name="ports_story_presence",
            ),
            path(
                "<int:object_id>/revisions/",
                view(self.revisions_view),
                name="ports_story_revisions",
            ),
            path(
                "<int:object_id>/revisions/compare/",
                view(self.compare_view),
                name="ports_story_compare",
            ),
            path(
                "<int:object_id>/revisions/<int:revision_id>/revert/",
                view(self.revert_view),
                name="ports_story_revert",
            ),
            *super().get_urls(),
        ]

    def _step_url(self, story, action):
        return reverse("admin:ports_story_step", args=[story.pk, action])

    def _story_or_404(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Story.objects.select_related("port"), pk=object_id)

    def _page(self, request, story, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": story,
                "title": title,
                "change_url": reverse("admin:ports_story_change", args=[story.pk]),
                "revisions_url": reverse(
                    "admin:ports_story_revisions", args=[story.pk]
                ),
                **context,
            },
        )

    def step_view(self, request, object_id, action):
        if action not in STEPS:
            raise Http404
        story = self._story_or_404(request, object_id)
        form_class, service, label = STEPS[action]
        # The same check the service makes, so a refused user sees nothing.
        if not workflow.can_step(request.user, action, story):
            try:
                workflow.check_step(request.user, action, story)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return HttpResponseRedirect(
                    reverse("admin:ports_story_change", args=[story.pk])
                )
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        story = service(
                            story=story, by=request.user, **form.step_arguments()
                        )
                except actions.StaleStory:
                    form.add_error(
                        None,
                        _(
                            "The story changed while this page was open: "
                            "check the changes below and try again."
                        ),
                    )
                    story.refresh_from_db()
                    form.data = form.data.copy()
                    form.data["version"] = story.version
                except ValidationError as error:
                    for message in error.messages:
                        form.add_error(None, message)
                else:
                    self.message_user(
                        request,
                        _("%(story)s: %(step)s.")
                        % {
                            "story": story,
                            "step": story.transitions.first().get_action_display(),
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:ports_story_change", args=[story.pk])
                    )
        else:
            form = form_class(initial={"version": story.version})
        problems = (
            workflow.story_problems(story)
            if action in (StoryTransition.Action.SUBMIT, StoryTransition.Action.PUBLISH)
            else []
        )
        live = story.live_revision.content if story.live_revision_id else {}
        return self._page(
            request,
            story,
            "admin/ports/story/workflow_step.html",
            label,
            form=form,
            action=action,
            step_label=label,
            problems=problems,
            media=self.media + form.media,
            preview_url=reverse("ports:story-preview", args=[story.pk]),
            changes=[d for d in revision_diff(live, story_snapshot(story)) if d.changed]
            if action == StoryTransition.Action.PUBLISH
            else [],
        )

    def live_preview_view(self, request, object_id):
        return live_preview.story_live_preview(request, object_id, model_admin=self)

    def autosave_view(self, request, object_id):
        return story_endpoints.story_autosave_view(request, object_id, model_admin=self)

    def presence_view(self, request, object_id):
        return story_endpoints.story_presence_view(request, object_id, model_admin=self)

    def revisions_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        revisions = list(story.revisions.select_related("author"))
        return self._page(
            request,
            story,
            "admin/ports/story/revisions.html",
            _("Revisions of %(story)s") % {"story": story},
            revisions=revisions,
            can_revert=workflow.can_edit(request.user, story),
            compare_url=reverse("admin:ports_story_compare", args=[story.pk]),
            preview_url=reverse("ports:story-preview", args=[story.pk]),
        )

    def compare_view(self, request, object_id):
        story = self._story_or_404(request, object_id)
        try:
            old = story.revisions.select_related("author").get(
                pk=int(request.GET["from"])
            )
            new = story.revisions.select_related("author").get(
                pk=int(request.GET["to"])
            )
        except (KeyError, ValueError, StoryRevision.DoesNotExist):
            raise Http404(_("Choose two revisions of this story to compare.")) from None
        if (old.created_at, old.pk) > (new.created_at, new.pk):
            old, new = new, old
        diffs = revision_diff(old.content, new.content)
        return self._page(
            request,
            story,
            "admin/ports/story/compare.html",
            _("Changes to %(story)s") % {"story": story},
            old=old,
            new=new,
            changed=[d for d in diffs if d.changed],
            unchanged=[d for d in diffs if not d.changed],
            can_revert=workflow.can_edit(request.user, story),
        )

    def revert_view(self, request, object_id, revision_id):
        story = self._story_or_404(request, object_id)
        revision = get_object_or_404(story.revisions, pk=revision_id)
        if not workflow.can_edit(request.user, story):
            raise PermissionDenied
        if request.method == "POST":
            actions.story_revert(story=story, revision=revision, by=request.user)
            self.message_user(
                request,
                _(
                    "Reverted to the revision of %(time)s: it is a new draft, "
                    "and what readers see has not changed."
                )
                % {
                    "time": date_format(
                        timezone.localtime(revision.created_at), "DATETIME_FORMAT"
                    )
                },
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:ports_story_change", args=[story.pk])
            )
        diffs = revision_diff(story_snapshot(story), revision.content)
        return self._page(
            request,
            story,
            "admin/ports/story/revert.html",
            _("Revert %(story)s") % {"story": story},
            revision=revision,
            changed=[d for d in diffs if d.changed],
        )


@admin.register(StoryRevision)
class StoryRevisionAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ("story", "author", "created_at")
    search_fields = ("=story__port__number",)
    list_select_related = ("story", "author")
    raw_id_fields = ("story",)


@admin.register(StoryTransition)
class StoryTransitionAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ("story", "action", "from_status", "to_status", "user", "created_at")
    list_filter = ("action", "to_status")
    search_fields = ("=story__port__number", "comment")
    list_select_related = ("story", "user")
    date_hierarchy = "created_at"
