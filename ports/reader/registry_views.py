"""
The registry changes pages and feeds: thin views over
ports.reader.registry_changes, shared with caches and purged when an import
changes the registry (tags.REGISTRY).
"""

from functools import wraps

from django.core.paginator import EmptyPage, InvalidPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ports.cache import tags
from ports.cache.headers import share
from ports.reader import registry_changes


def share_registry(request, response):
    return share(
        request,
        response,
        tags=tags.REGISTRY_TAGS,
        last_modified=registry_changes.last_modified(),
    )


@require_safe
def registry_change_list(request):
    paginator = Paginator(
        registry_changes.published_runs(), registry_changes.RUNS_PER_PAGE
    )
    try:
        page_obj = paginator.page(request.GET.get("page") or "1")
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page.") from None
    response = render(
        request,
        "ports/registry_change_list.html",
        {
            "page_obj": page_obj,
            "query": {},
            "registry_day": registry_changes.registry_day,
            "summary": registry_changes.run_summary,
        },
    )
    return share_registry(request, response)


@require_safe
def registry_change_detail(request, pk):
    try:
        changes = registry_changes.run_changes(pk, request.GET.get("page") or "1")
    except InvalidPage:
        raise Http404("No such page.") from None
    if changes is None:
        raise Http404("No such registry update.")
    response = render(
        request,
        "ports/registry_change_detail.html",
        {
            "changes": changes,
            "page_obj": changes.page_obj,
            "query": {},
            "summary": registry_changes.run_summary(changes.run),
        },
    )
    return share_registry(request, response)


def shared_registry(view):
    """A feed of registry changes, shared with caches as the pages are."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        return share_registry(request, response)

    return wrapped
