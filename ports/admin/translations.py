"""
The translation completeness page: per story (with its FAQs and related-port
notes) and per feedback prompt, the languages that are missing or out of date.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from ports import languages
from ports.editorial import translations
from ports.models import FAQ, FeedbackPrompt, RelatedPort, Story

STORIES_PER_PAGE = 50
PERMISSION = "ports.change_story"


def story_gaps(story) -> dict[str, translations.LanguageGaps]:
    """The story's own fields, then each FAQ and related-port note."""
    return translations.merge_gaps(
        translations.translation_gaps(story),
        *(
            translations.translation_gaps(faq, label_prefix=_("FAQ %(n)s: ") % {"n": n})
            for n, faq in enumerate(story.faqs.all(), start=1)
        ),
        *(
            translations.translation_gaps(
                related,
                label_prefix=_("related port %(port)s: ") % {"port": related.port_id},
            )
            for related in story.related_ports.all()
        ),
    )


def _row(obj, url, gaps):
    cells = [(code, gaps[code]) for code in languages.translation_languages()]
    return {
        "object": obj,
        "url": url,
        "cells": cells,
        "complete": not any(gap for _code, gap in cells),
    }


def translation_completeness(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    only_gaps = request.GET.get("gaps") == "1"
    stories = (
        Story.objects.order_by("port_id")
        .defer("live_revision", "scheduled_revision")
        .prefetch_related(
            Prefetch("faqs", queryset=FAQ.objects.order_by("position", "id")),
            Prefetch(
                "related_ports",
                queryset=RelatedPort.objects.order_by("position", "port_id"),
            ),
        )
    )
    paginator = Paginator(stories, STORIES_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    story_rows = [
        _row(
            story,
            reverse("admin:ports_story_change", args=[story.pk]),
            story_gaps(story),
        )
        for story in page_obj.object_list
    ]
    if only_gaps:
        story_rows = [row for row in story_rows if not row["complete"]]
    prompt_rows = [
        _row(
            prompt,
            reverse("admin:ports_feedbackprompt_change", args=[prompt.pk]),
            translations.translation_gaps(prompt),
        )
        for prompt in FeedbackPrompt.objects.order_by("key")
    ]
    return TemplateResponse(
        request,
        "admin/ports/translations.html",
        {
            **admin.site.each_context(request),
            # The matrix needs the page's whole width: a column per language.
            "is_nav_sidebar_enabled": False,
            "title": _("Translation completeness"),
            "languages": languages.translation_languages(),
            "story_rows": story_rows,
            "prompt_rows": prompt_rows,
            "page_obj": page_obj,
            "only_gaps": only_gaps,
        },
    )
