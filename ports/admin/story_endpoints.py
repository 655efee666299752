"""
The story change form's background requests, besides its live preview
(ports.admin.live_preview): autosave of the editor's unsaved form, and who
else has the story open. They answer JSON; the logic is in
ports.editorial.autosave and ports.editorial.presence.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ports.editorial import autosave, presence
from ports.models import Story


def clock_time(moment) -> str:
    """A time as the change form shows it: "10:42", with the day if not today."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "j M Y, H:i")


def _editable_story(request, object_id, model_admin) -> Story:
    story = get_object_or_404(Story, pk=object_id)
    if not model_admin.has_change_permission(request, story):
        raise PermissionDenied
    return story


class AutosaveForm(forms.Form):
    """The version an autosaved form is based on: one the story has had."""

    def __init__(self, data, *, story):
        super().__init__(data)
        self.fields["edit_version"] = forms.IntegerField(
            min_value=1, max_value=story.version
        )


class PresenceForm(forms.Form):
    """The version an open form is based on, if it says (not when leaving)."""

    version = forms.IntegerField(required=False, min_value=1)


def _refused(form) -> JsonResponse:
    return JsonResponse(
        {
            "error": " ".join(
                f"{name}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            )
        },
        status=400,
    )


@require_http_methods(["GET", "POST", "DELETE"])
def story_autosave_view(request, object_id, *, model_admin):
    """
    POST: keep the posted form as the editor's unsaved copy. GET: that copy,
    to restore. DELETE: discard it.
    """
    story = _editable_story(request, object_id, model_admin)
    if request.method == "POST":
        form = AutosaveForm(request.POST, story=story)
        if not form.is_valid():
            return _refused(form)
        kept = autosave.story_autosave(
            story=story,
            by=request.user,
            data=autosave.form_pairs(request.POST),
            base_version=form.cleaned_data["edit_version"],
        )
        return JsonResponse(
            {
                "saved_at": kept.saved_at.isoformat(),
                "saved_at_display": clock_time(kept.saved_at),
            }
        )
    if request.method == "DELETE":
        autosave.story_autosave_discard(story=story, by=request.user)
        return HttpResponse(status=204)
    kept = autosave.story_autosave_of(story=story, user=request.user)
    if kept is None:
        raise Http404("Nothing is kept.")
    return JsonResponse(
        {
            "data": kept.data,
            "base_version": kept.base_version,
            "saved_at": kept.saved_at.isoformat(),
        }
    )


@require_POST
def story_presence_view(request, object_id, *, model_admin):
    """
    An open change form's ping: who else has the story open, and who saved
    it since the version the form is based on (POST "version"), before the
    editor's own save is refused for it. With "leave": the form was closed.
    """
    story = get_object_or_404(Story, pk=object_id)
    if not model_admin.has_view_permission(request, story):
        raise PermissionDenied
    if request.POST.get("leave"):
        presence.story_presence_leave(story_id=story.pk, user=request.user)
        return HttpResponse(status=204)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    others = [
        {"name": other["name"], "since": clock_time(other["since"])}
        for other in presence.story_presence_ping(story_id=story.pk, user=request.user)
    ]
    others_text = (
        _("Also open by %(people)s.")
        % {
            "people": get_text_list(
                [
                    _("%(name)s since %(time)s")
                    % {"name": other["name"], "time": other["since"]}
                    for other in others
                ],
                _("and"),
            )
        }
        if others
        else ""
    )
    based_on = form.cleaned_data["version"]
    saved_text = ""
    if based_on is not None and story.version > based_on:
        latest = story.revisions.select_related("author").first()
        saved_text = _(
            "%(who)s saved this story at %(time)s, after this form was opened: "
            "if you save now, your save is refused and your text kept, so that "
            "you can compare both versions first."
        ) % {
            "who": latest.author.get_username()
            if latest and latest.author
            else _("Someone else"),
            "time": clock_time(latest.created_at if latest else story.updated_at),
        }
    return JsonResponse(
        {
            "others": others,
            "others_text": others_text,
            "version": story.version,
            "saved_text": saved_text,
        }
    )
