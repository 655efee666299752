"""
What reader responses tell browsers and shared caches they may keep.

A reader page is the same for every anonymous reader, so any cache may hold
it: `share()` makes it public, for BROWSER_CACHE_SECONDS in browsers and
SHARED_CACHE_SECONDS in shared caches (a CDN, Varnish, the app's page cache),
which may also serve it a while stale when the site is slow or down; names
it by its tags in Surrogate-Key for purging; and gives it an ETag and, where
the data tells, Last-Modified, so revalidation costs a 304. Signed-in
staff, previews and per-reader states get `private()`: never stored.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    patch_cache_control,
    set_response_etag,
)
from django.utils.http import http_date

TAGS_HEADER = "Surrogate-Key"


def _signed_in(request) -> bool:
    # Without a session cookie nobody is signed in: asking the session would
    # only add "Vary: Cookie" to a page that does not vary with it.
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        and request.user.is_authenticated
    )


def private(response):
    """A response for this reader only: no cache keeps it."""
    add_never_cache_headers(response)
    return response


def share(
    request,
    response,
    *,
    tags: list[str],
    last_modified: datetime | None = None,
    changes_at: datetime | None = None,
):
    """
    Mark a reader page public, named by `tags`. A page whose content changes
    by itself at `changes_at` (a story going live or expiring) is kept no
    longer than that, and never served stale past it.
    """
    if _signed_in(request):
        return private(response)
    if hasattr(response, "render"):
        response.render()
    browser = settings.BROWSER_CACHE_SECONDS
    shared = settings.SHARED_CACHE_SECONDS
    stale = {
        "stale_while_revalidate": settings.STALE_WHILE_REVALIDATE_SECONDS,
        "stale_if_error": settings.STALE_IF_ERROR_SECONDS,
    }
    if changes_at is not None:
        left = max(0, int((changes_at - timezone.now()).total_seconds()))
        if left < shared + max(stale.values()):
            stale = {}
        browser, shared = min(browser, left), min(shared, left)
    patch_cache_control(
        response,
        public=True,
        max_age=browser,
        s_maxage=shared,
        **{name: seconds for name, seconds in stale.items() if seconds},
    )
    response[TAGS_HEADER] = " ".join(tags)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    set_response_etag(response)
    return response


def language_from_address(response):
    """
    A shared page's language is the one its address names (English without
    a prefix): it does not vary with Accept-Language, whatever
    LocaleMiddleware must assume of addresses without a language prefix.
    """
    vary = response.get("Vary")
    if vary and TAGS_HEADER in response:
        kept = [
            v.strip() for v in vary.split(",") if v.strip().lower() != "accept-language"
        ]
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]
    return response
