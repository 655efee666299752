"""
URLs for the benchmark: the site, a minimal view (the stack's ceiling), and
a view with one primary-key query and a 20 KB template, which the issue
that set the targets took as what a whole port page should cost.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import path

from ports.models import StoryRevision
from portwiki import urls as site

MINIMAL_BODY = ("<!doctype html><title>minimal</title>" + "x" * 20_000).encode()

# 20 KB of page around a few values of the row, in Django's template language.
ONE_QUERY_TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="en"><head><title>Revision {{ revision.pk }}'
    "</title></head><body><h1>Revision {{ revision.pk }} of story "
    "{{ revision.story_id }}</h1>"
    "<p>Saved {{ revision.created_at|date:'DATE_FORMAT' }}.</p>"
    + "".join(
        f"<section><h2>Part {n}</h2><p>{'z' * 1_950}</p></section>" for n in range(10)
    )
    + "</body></html>"
)


def minimal(request):
    return HttpResponse(MINIMAL_BODY)


def one_query(request, pk):
    revision = get_object_or_404(
        StoryRevision.objects.only("pk", "story_id", "created_at"), pk=pk
    )
    return HttpResponse(ONE_QUERY_TEMPLATE.render({"revision": revision}, request))


# The site's own patterns, not include()d: its language prefixes
# (i18n_patterns) are only allowed in the root URLconf.
urlpatterns = [
    path("_bench/minimal/", minimal),
    path("_bench/one-query/<int:pk>/", one_query),
    *site.urlpatterns,
]
handler400 = getattr(site, "handler400", None) or "django.views.defaults.bad_request"
handler500 = getattr(site, "handler500", None) or "django.views.defaults.server_error"
