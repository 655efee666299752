"""
The reader site's page cache and conditional responses.

Whole pages are cached for anonymous readers, keyed by language and URL,
never for signed-in users (staff see drafts, previews and fresh data). Each
cached page records the version tokens it was built under: one per port for
its page, one for all listings (home, lists, search, feeds, sitemaps) and one
global generation, and is used only while they are current; the tokens and
the page come in one cache round trip. Invalidating writes new tokens, so it
costs one cache write per port whatever the number of languages and hosts
cached, and a large import replaces the generation.

Every response carries an ETag (a hash of the page) and, where the data says
when it changed, Last-Modified; conditional requests are answered with 304.

The feedback form needs each reader's own CSRF token, which a shared cached
page cannot hold: pages are rendered with a placeholder that is replaced by
the reader's token on the way out, and the ETag is computed without it.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date
from django.utils.translation import get_language

GENERATION_KEY = "pages:generation"
LISTINGS_KEY = "pages:listings"
PORT_KEY = "pages:port:{}"
# Above this many ports one generation change is cheaper than a token each.
BULK_PORTS = 2000
CSRF_PLACEHOLDER = "csrf-token-placeholder-3c9e0f"
DEFAULT_PAGE_CACHE_SECONDS = 3600


@dataclass
class Page:
    """A rendered page and what the cache must know about it."""

    content: str
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None
    # When the content changes by itself (a story expiring or going live).
    expires_at: datetime | None = None
    # Whether the page holds a form: it then carries each reader's CSRF token.
    personal: bool = False


def page_cache_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", DEFAULT_PAGE_CACHE_SECONDS))


def _token() -> str:
    return uuid.uuid4().hex[:16]


def _versions(*keys) -> list[str]:
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        # A token lost to eviction is replaced by a new one, never by a
        # default that an old cached page could still be stored under.
        for key in missing:
            cache.add(key, _token(), timeout=None)
        found.update(cache.get_many(missing))
    return [str(found.get(key, "")) for key in keys]


def _bump_now_and_after_commit(write: Callable[[], None]) -> None:
    # Now, so that this transaction's own reads see the change; and again
    # after commit, because a reader may re-cache the old data in between.
    write()
    transaction.on_commit(write)


def invalidate_listings() -> None:
    """Listings (home, lists, search, feeds, sitemaps) show changed data."""
    _bump_now_and_after_commit(lambda: cache.set(LISTINGS_KEY, _token(), timeout=None))


def invalidate_ports(numbers: Iterable[int]) -> None:
    """The pages of these ports show changed data, and so do the listings."""
    numbers = {int(number) for number in numbers}

    def write():
        if len(numbers) > BULK_PORTS:
            cache.set(GENERATION_KEY, _token(), timeout=None)
        elif numbers:
            cache.set_many(
                {PORT_KEY.format(n): _token() for n in numbers}, timeout=None
            )
        cache.set(LISTINGS_KEY, _token(), timeout=None)

    _bump_now_and_after_commit(write)


def ports_in_ranges(ranges: Iterable[tuple[int | None, int | None]]) -> set[int]:
    """Every number in these (low, high) ranges; port-less rows count for none."""
    numbers = set()
    for low, high in ranges:
        if low is not None:
            numbers.update(range(low, (high if high is not None else low) + 1))
    return numbers


def invalidate_import(run) -> None:
    """Pages of every port an import run added, changed or withdrew an entry on."""
    invalidate_ports(ports_in_ranges(run.changes.values_list("port_low", "port_high")))


def is_cacheable(request) -> bool:
    if page_cache_seconds() <= 0 or request.method not in ("GET", "HEAD"):
        return False
    # Without a session cookie nobody is signed in: no query needed to know.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    return not request.user.is_authenticated


def _key(request, scope: str, variant: str) -> str:
    parts = "\n".join(
        [
            scope,
            request.scheme,
            request.get_host(),
            get_language() or "",
            request.path,
            variant,
        ]
    )
    return f"pages:page:{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


def _timeout(page: Page) -> int:
    seconds = page_cache_seconds()
    if page.expires_at is not None:
        seconds = min(seconds, int((page.expires_at - timezone.now()).total_seconds()))
    return seconds


def _entry(page: Page) -> dict:
    body = page.content.encode()
    return {
        "content": body,
        "content_type": page.content_type,
        "etag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "last_modified": page.last_modified.timestamp() if page.last_modified else None,
        "personal": page.personal,
    }


def _response(request, entry: dict, *, cached: bool) -> HttpResponse:
    content = entry["content"]
    if entry["personal"]:
        content = content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    response = HttpResponse(content, content_type=entry["content_type"])
    response.headers["ETag"] = entry["etag"]
    if entry["last_modified"] is not None:
        response.headers["Last-Modified"] = http_date(entry["last_modified"])
    if not cached:
        add_never_cache_headers(response)
    else:
        # Revalidate every time (cheap: a 304); pages with a reader's CSRF
        # token must stay out of shared caches.
        patch_cache_control(response, no_cache=True, private=entry["personal"])
    conditional = get_conditional_response(
        request,
        etag=entry["etag"],
        last_modified=entry["last_modified"] and int(entry["last_modified"]),
        response=response,
    )
    return conditional or response


def cached_page(
    request,
    build: Callable[[], Page],
    *,
    port: int | None = None,
    variant: str = "",
    cache_it: bool = True,
) -> HttpResponse:
    """
    The response for a reader's page, from the cache when possible.

    `port` ties the page to that port's version (else to the listings'),
    `variant` is whatever besides the path selects the content (normalised
    filters, the search query), so stray query parameters share one entry.
    """
    if not (cache_it and is_cacheable(request)):
        return _response(request, _entry(build()), cached=False)
    scope = PORT_KEY.format(port) if port is not None else LISTINGS_KEY
    key = _key(request, scope, variant)
    # One round trip: the page and the version tokens it must have been
    # stored under to be current.
    found = cache.get_many([GENERATION_KEY, scope, key])
    versions = [found.get(GENERATION_KEY), found.get(scope)]
    if None in versions:
        versions = _versions(GENERATION_KEY, scope)
    entry = found.get(key)
    if entry is None or entry["versions"] != versions:
        page = build()
        entry = {**_entry(page), "versions": versions}
        timeout = _timeout(page)
        if timeout > 0:
            cache.set(key, entry, timeout=timeout)
    return _response(request, entry, cached=True)
