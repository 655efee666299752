"""
The story change form's live preview: the form's data as it is now, unsaved,
shown as readers would see the story in the language being edited.

The form's script (static/js/live-preview.js) posts the whole form into an
iframe beside it. Here the form and its inlines are cleaned as a save would
clean them, which builds the story and its parts in memory, and the reader's
page is rendered from their snapshot. Cleaning writes nothing (a port number
typed for the first time becomes an unsaved Port, not a row) and runs in a
transaction that is always rolled back besides: no save, no revision.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from ports.admin.story_forms import PortNumberField
from ports.editorial.preview import preview_response
from ports.editorial.revisions import story_snapshot
from ports.languages import SOURCE_LANGUAGE, language_codes
from ports.models import Story

# Framed by the change form, and by nothing else: the site's policy with
# frame-ancestors relaxed from 'none' to the site itself, for this page only.
FRAMED_BY_THE_ADMIN = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}


class ShownOnly:
    """
    A form of the story or of its parts, cleaned to be shown, never saved: a
    port number without a row stays an unsaved Port rather than a new row,
    and the model's check that the row exists, which a save would satisfy by
    making it, is left out.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self._port_fields():
            self.fields[field].create_rows = False

    def _port_fields(self):
        return [
            name
            for name, field in self.fields.items()
            if isinstance(field, PortNumberField)
        ]

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), *self._port_fields()}


def story_from_form(model_admin, request, story):
    """
    The story and its parts as the posted change form has them, and the
    labels of the fields that are not valid yet (which keep their saved
    values). Nothing is saved.
    """
    form_class = model_admin.get_form(request, story, change=True)
    form_class = type(
        form_class.__name__, (ShownOnly, form_class), {"check_version": False}
    )
    form = form_class(request.POST, request.FILES, instance=story)
    form.is_valid()
    not_previewed = [
        str(form.fields[name].label) for name in form.errors if name in form.fields
    ]
    parts = {}
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, story):
        prefix = formset_class.get_default_prefix()
        # A class of this request's own, made by the inline for it.
        formset_class.form = type(
            formset_class.form.__name__, (ShownOnly, formset_class.form), {}
        )
        formset = formset_class(
            **model_admin.get_formset_kwargs(request, story, inline, prefix)
        )
        formset.is_valid()
        rows = []
        for row in formset.forms:
            new = row.instance.pk is None
            if (new and not row.has_changed()) or row.cleaned_data.get("DELETE"):
                continue
            for name in row.errors:
                if name in row.fields:
                    not_previewed.append(
                        f"{inline.verbose_name}: {row.fields[name].label}"
                    )
            if not (row.errors and new):
                rows.append(row.instance)
        parts[formset.fk.remote_field.get_accessor_name()] = rows
    return form.instance, parts, not_previewed


@require_POST
@csp_override(FRAMED_BY_THE_ADMIN)
@xframe_options_sameorigin
def story_live_preview(request, object_id, *, model_admin):
    """The reader's page of the story as the change form has it, unsaved."""
    story = get_object_or_404(Story.objects.select_related("port"), pk=object_id)
    if not model_admin.has_change_permission(request, story):
        raise PermissionDenied
    language = request.GET.get("language", SOURCE_LANGUAGE)
    if language not in language_codes():
        language = SOURCE_LANGUAGE
    with translation.override(language):
        with transaction.atomic():
            story, parts, not_previewed = story_from_form(model_admin, request, story)
            content = story_snapshot(story, parts)
            transaction.set_rollback(True)
        return preview_response(
            request,
            story,
            content,
            language=language,
            unsaved=True,
            not_previewed=not_previewed,
        )
