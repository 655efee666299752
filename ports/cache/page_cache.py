"""
The app's own page cache: whole public responses in Django's cache framework
(Redis in production, files on one machine), purged by tag.

It works as a shared cache inside the app, for sites without one in front
and for what a front cache misses. It keeps the GET responses that views
mark public (`Cache-Control: public` with their tags in `Surrogate-Key`, see
ports.cache.headers) for their s-maxage, at most PAGE_CACHE_SECONDS, and
answers anonymous readers from them before sessions, authentication and the
view run. What it stores is the response the rest of the stack made, headers
included, compressed or not as the reader accepts.

Purging a tag writes a new version token for it: a cached response is
served only while its tags' tokens are those it was stored under. Every
purge also writes a new change token, read before the view runs and again
before storing, so a page built while a change was being committed is not
stored under the new tokens. Its time tells read-replica routing how recent
the last change is.
"""

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.http import split_header_value

from ports.cache import headers

TAG_KEY = "pages:tag:{}"
CHANGE_KEY = "pages:change"
RESPONSE_KEY = "pages:response:{}"
# A cache that cannot be reached is reported at most this often per process.
FAILURE_LOG_SECONDS = 60
NAME = "page-cache"

logger = logging.getLogger(__name__)
_last_failure_logged = 0.0


@dataclass(frozen=True)
class CachedResponse:
    """A stored response and the tag tokens it is current under."""

    status: int
    headers: tuple
    content: bytes
    tags: tuple
    versions: tuple


def _token() -> str:
    return uuid.uuid4().hex[:16]


def _fill_missing(found: dict, keys: list[str]) -> None:
    """
    Tokens lost to eviction or a flush are replaced by new ones, never by a
    default that a response stored earlier could still match.
    """
    missing = [key for key in keys if key not in found]
    if not missing:
        return
    for key in missing:
        cache.add(key, (_token(), time.time()) if key == CHANGE_KEY else _token(), None)
    found.update(cache.get_many(missing))


def _current(tags, *extra_keys) -> dict:
    """The tokens of these tags (and these other keys), in one round trip."""
    keys = [*(TAG_KEY.format(tag) for tag in tags), *extra_keys]
    found = cache.get_many(keys)
    _fill_missing(found, keys)
    return found


def _versions(found: dict, tags) -> tuple:
    return tuple(found.get(TAG_KEY.format(tag)) for tag in tags)


class PageCache:
    """The page cache as one of the caches a purge reaches (ports.cache.purging)."""

    name = NAME

    def purge(self, tags) -> None:
        """New tokens for these tags, so their entries are no longer served."""
        tokens = {TAG_KEY.format(tag): _token() for tag in tags}
        cache.set_many({**tokens, CHANGE_KEY: (_token(), time.time())}, timeout=None)


def last_change(request) -> tuple | None:
    """
    The change token (token, time) as this request found it: read once per
    request, by the middleware when it looked the page up.
    """
    if not hasattr(request, "_page_cache_change"):
        found = cache.get_many([CHANGE_KEY])
        _fill_missing(found, [CHANGE_KEY])
        request._page_cache_change = found.get(CHANGE_KEY)
    return request._page_cache_change


def cache_failed(error: Exception) -> None:
    """Note that the cache could not be reached; pages come from the database."""
    global _last_failure_logged
    now = time.monotonic()
    if now - _last_failure_logged >= FAILURE_LOG_SECONDS:
        _last_failure_logged = now
        logger.warning(
            "Page cache unavailable, pages are built for every request: %r", error
        )


def _key(request) -> str:
    accepts_gzip = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    parts = "\n".join(
        [
            request.scheme,
            request.get_host(),
            request.path,
            request.META.get("QUERY_STRING", ""),
            "gzip" if accepts_gzip else "",
        ]
    )
    return RESPONSE_KEY.format(hashlib.sha256(parts.encode()).hexdigest()[:32])


def directives(response) -> dict[str, str | bool]:
    """The response's Cache-Control as {directive: value or True}."""
    found = {}
    for part in split_header_value(response.get("Cache-Control", "")):
        name, _, value = part.partition("=")
        if name:
            found[name.lower()] = value or True
    return found


def _lifetime(request, response) -> int:
    """How long the response may be stored here; 0 when not at all."""
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.streaming
        or response.cookies
        # Keyed by address and gzip only: a response that varies with
        # anything else is not one representation per address.
        or {v.strip().lower() for v in response.get("Vary", "").split(",") if v}
        - {"accept-encoding"}
    ):
        return 0
    found = directives(response)
    if "public" not in found or {"private", "no-store", "no-cache"} & found.keys():
        return 0
    try:
        shared = int(found.get("s-maxage") or found.get("max-age") or 0)
    except ValueError:
        return 0
    return max(0, min(shared, settings.PAGE_CACHE_SECONDS))


def _response(cached: CachedResponse) -> HttpResponse:
    response = HttpResponse(cached.content, status=cached.status)
    for name, value in cached.headers:
        response.headers[name] = value
    return response


def _store(request, key: str, change_before, response) -> None:
    timeout = _lifetime(request, response)
    tags = tuple(response.get("Surrogate-Key", "").split())
    if timeout <= 0 or not tags:
        return
    found = _current(tags, CHANGE_KEY)
    if found.get(CHANGE_KEY) != change_before:
        return  # a change came in while the page was built
    cached = CachedResponse(
        status=response.status_code,
        headers=tuple(response.headers.items()),
        content=response.content,
        tags=tags,
        versions=_versions(found, tags),
    )
    cache.set(key, cached, timeout=timeout)


class PageCacheMiddleware:
    """Answer anonymous readers from the page cache; store what views share."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or settings.PAGE_CACHE_SECONDS <= 0
            # A session may be signed in: staff get fresh pages.
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return headers.language_from_address(self.get_response(request))
        key = _key(request)
        try:
            found = cache.get_many([key, CHANGE_KEY])
            cached = found.get(key)
            if cached is not None:
                current = _current(cached.tags)
                if _versions(current, cached.tags) == cached.versions:
                    return _response(cached)
            _fill_missing(found, [CHANGE_KEY])
        except Exception as error:  # Redis down: the database still answers
            cache_failed(error)
            return headers.language_from_address(self.get_response(request))
        request._page_cache_change = change_before = found.get(CHANGE_KEY)
        response = headers.language_from_address(self.get_response(request))
        try:
            _store(request, key, change_before, response)
        except Exception as error:
            cache_failed(error)
        return response
