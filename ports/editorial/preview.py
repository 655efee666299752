"""
Staff preview of a story's working copy (or any revision) as readers would
see it: the public port page, built the same way, with the draft in place of
the live story. Anyone else gets a plain 404, so the URL reveals nothing.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language

from ports.editorial import workflow
from ports.editorial.markup_check import removed_markup
from ports.editorial.revisions import story_snapshot
from ports.models import Story
from ports.reader.page_data import port_page_with_content


def story_preview(request, pk):
    """The working copy, or with ?revision=<id> one of the story's revisions."""
    if not workflow.can_view(request.user):
        raise Http404("No such page.")
    story = get_object_or_404(Story, pk=pk)
    revision_id = request.GET.get("revision")
    revision = None
    if revision_id is None:
        content = story_snapshot(story)
    elif revision_id.isdigit():
        revision = get_object_or_404(story.revisions, pk=revision_id)
        content = revision.content
    else:
        raise Http404("No such revision.")
    return preview_response(
        request,
        story,
        content,
        language=get_language(),
        revision_saved_at=revision.created_at if revision else None,
    )


def preview_response(
    request,
    story,
    content,
    *,
    language,
    unsaved=False,
    revision_saved_at=None,
    not_previewed=(),
):
    """
    The port's public page with `content` (a snapshot's dict) in place of
    the live story, in `language`, under a banner saying it is not live.
    """
    # Only what is true of the story: a review date only if it was reviewed.
    page = port_page_with_content(
        story.port_id, content, language=language, story=story
    )
    body = content.get("body", {})
    banner = {
        "state": story.get_status_display(),
        # The form's data, not a saved version: the live preview beside it.
        "unsaved": unsaved,
        "version": story.version,
        "revision_saved_at": revision_saved_at,
        # Of the body shown: the reader's language, else English.
        "removed": removed_markup(
            body.get(page.localized_story.body_html.language, "")
        ),
        "not_previewed": list(not_previewed),
    }
    response = render(
        request,
        "ports/port_detail.html",
        {"page": page, "preview": True, "preview_banner": banner},
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
