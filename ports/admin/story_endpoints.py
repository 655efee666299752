"""
The story change form's background requests, besides its live preview
(ports.admin.live_preview): autosave of the editor's unsaved form, and who
else has the story open. They answer JSON; the logic is in
ports.editorial.autosave and ports.editorial.presence.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from ports.editorial import autosave
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


@require_http_methods(["GET", "POST", "DELETE"])
def story_autosave_view(request, object_id, *, model_admin):
    """
    POST: keep the posted form as the editor's unsaved copy. GET: that copy,
    to restore. DELETE: discard it.
    """
    story = _editable_story(request, object_id, model_admin)
    if request.method == "POST":
        try:
            base_version = int(request.POST["edit_version"])
        except (KeyError, ValueError):
            return JsonResponse({"error": "edit_version is missing"}, status=400)
        kept = autosave.story_autosave(
            story=story,
            by=request.user,
            data=autosave.form_pairs(request.POST),
            base_version=base_version,
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
