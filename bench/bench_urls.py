"""URLs for the benchmark: the site plus a minimal view, the stack's ceiling."""

from django.http import HttpResponse
from django.urls import path

from portwiki import urls as site

MINIMAL_BODY = ("<!doctype html><title>minimal</title>" + "x" * 20_000).encode()


def minimal(request):
    return HttpResponse(MINIMAL_BODY)


# The site's own patterns, not include()d: its language prefixes
# (i18n_patterns) are only allowed in the root URLconf.
urlpatterns = [path("_bench/minimal/", minimal), *site.urlpatterns]
handler400 = getattr(site, "handler400", None) or "django.views.defaults.bad_request"
handler500 = getattr(site, "handler500", None) or "django.views.defaults.server_error"
