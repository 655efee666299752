"""URLs for the benchmark: the site plus a minimal view, the stack's ceiling."""

from django.http import HttpResponse
from django.urls import include, path

MINIMAL_BODY = ("<!doctype html><title>minimal</title>" + "x" * 20_000).encode()


def minimal(request):
    return HttpResponse(MINIMAL_BODY)


urlpatterns = [
    path("_bench/minimal/", minimal),
    path("", include("portwiki.urls")),
]
