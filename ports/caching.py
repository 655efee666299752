"""
The reader site's page cache and conditional responses.

Whole pages are cached for anonymous readers, keyed by language and URL,
never for signed-in users (staff see drafts, previews and fresh data). Each
cached page records the version tokens it was built under: one per port for
its page, one for all port pages (the feedback prompt shows on each), one for
all listings (home, lists, search, feeds, sitemaps) and one global
generation, and is used only while they are current; the tokens and the page
come in one cache round trip, or from the worker's memory when it holds them
(ports.local_pages). Invalidating writes new tokens, so it costs one
cache write per port whatever the number of languages and hosts cached, and
a large import replaces the all-ports token.

Views declare their scope (which port, which variant of the URL) with
`page_scope`, so that `ports.middleware.PageCacheMiddleware` can answer a
cache hit before sessions, authentication and the view run.

Every response carries an ETag (a hash of the page) and, where the data says
when it changed, Last-Modified; conditional requests are answered with 304.

The feedback form needs each reader's own CSRF token, which a shared cached
page cannot hold: pages are rendered with a placeholder that is replaced by
the reader's token on the way out. The cached copy's ETag is computed
without it; a response's ETag adds a hash of the reader's CSRF secret, so a
copy kept by a browser is current only for the secret its token was for.
Cached pages are also stored gzipped, in pieces between the placeholders,
so a compressed response costs no compression.
"""

import bisect
import hashlib
import secrets
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.middleware.gzip import re_accepts_gzip as accepts_gzip
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
)
from django.utils.http import http_date
from django.utils.translation import get_language

from .choices import AssignmentStatus
from .local_pages import local_pages

# Version tokens share a prefix: the local tier (ports.local_pages) has Redis
# tell it when any of them changes.
GENERATION_KEY = "pages:v:generation"
LISTINGS_KEY = "pages:v:listings"
ALL_PORTS_KEY = "pages:v:ports"
PORT_KEY = "pages:v:port:{}"
# Above this many ports one all-ports token is cheaper than a token each.
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


@dataclass(frozen=True)
class Scope:
    """What selects a cached page besides its URL path and language."""

    # The port whose data the page shows; None for listings.
    port: int | None = None
    # Whatever in the query string selects the content (normalised filters,
    # the search words), so stray parameters share one entry.
    variant: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """The version tokens a page in this scope is valid under."""
        if self.port is None:
            return (GENERATION_KEY, LISTINGS_KEY)
        return (GENERATION_KEY, ALL_PORTS_KEY, PORT_KEY.format(self.port))


def page_scope(scope: Callable[..., Scope | None]):
    """
    Declare a view's cache scope: `scope(request, *args, **kwargs)` returns
    the page's Scope, or None when this request's page is not to be cached.
    The view passes the same Scope to `cached_page`; the page cache
    middleware uses it to answer before the view runs.
    """

    def decorator(view):
        view.page_scope = scope
        return view

    return decorator


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


def invalidate_all_ports() -> None:
    """Every port page shows changed data (the feedback prompt); listings do not."""
    _bump_now_and_after_commit(lambda: cache.set(ALL_PORTS_KEY, _token(), timeout=None))


def invalidate_ports(numbers: Iterable[int]) -> None:
    """The pages of these ports show changed data, and so do the listings."""
    numbers = {int(number) for number in numbers}

    def write():
        if len(numbers) > BULK_PORTS:
            cache.set(ALL_PORTS_KEY, _token(), timeout=None)
        elif numbers:
            cache.set_many(
                {PORT_KEY.format(n): _token() for n in numbers}, timeout=None
            )
        cache.set(LISTINGS_KEY, _token(), timeout=None)

    _bump_now_and_after_commit(write)


@receiver([post_save, post_delete], sender="ports.FeedbackPrompt")
def _feedback_prompt_changed(sender, **kwargs):
    invalidate_all_ports()


@receiver([post_save, post_delete], sender="ports.KnownUse")
def _known_use_changed(sender, instance, **kwargs):
    invalidate_ports([instance.port_id])


def ports_in_ranges(ranges: Iterable[tuple[int | None, int | None]]) -> set[int]:
    """Every number in these (low, high) ranges; port-less rows count for none."""
    numbers = set()
    for low, high in ranges:
        if low is not None:
            numbers.update(range(low, (high if high is not None else low) + 1))
    return numbers


def invalidate_story(port: int) -> None:
    """A story's page changed: that port's page, its related ports' and listings."""
    from .models import StoryRevision

    # Every version's related ports, so that a port the new version no longer
    # links to is refreshed too (the version it was dropped from is gone by now).
    related = {
        item["port"]
        for content in StoryRevision.objects.filter(story__port_id=port).values_list(
            "content", flat=True
        )
        for item in content.get("related", [])
    }
    invalidate_ports({port} | related | stories_relating_to([port]))


def _relating_sql(numbers: list[int]) -> tuple[str, list]:
    """
    SQL for (1, port) of each live story listing one of these numbers as a
    related port, read from the live version's content: a JSON array of
    {"port": n, ...} items, unnested as each database can.
    """
    from .models import Story, StoryRevision
    from .revisions import related_ports_sql

    stories, revisions = Story._meta.db_table, StoryRevision._meta.db_table
    placeholders = ", ".join(["%s"] * len(numbers))
    items, port = related_ports_sql(connection.vendor)
    sql = (
        f"SELECT 1, s.port_id FROM {stories} s "  # noqa: S608
        f"JOIN {revisions} r ON r.id = s.live_revision_id, {items} "
        f"WHERE {port} IN ({placeholders})"
    )
    return sql, list(numbers)


def stories_relating_to(numbers: Iterable[int]) -> set[int]:
    """
    Ports whose live stories list one of these as a related port (with its
    service names): read from the live versions readers see, not the
    editors' copy, which may have dropped or added one since.
    """
    numbers = sorted(set(numbers))
    if not numbers:
        return set()
    sql, params = _relating_sql(numbers)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {port for _kind, port in cursor.fetchall()} - set(numbers)


def neighbour_ports(numbers: Iterable[int], registered: list[int]) -> set[int]:
    """
    Ports whose "Nearby registered ports" may list one of these, given the
    sorted starts of all registered ranges. A page lists the three nearest
    registered ports on each side within its range class, so these are the
    ports from the third registered port below each number up to just before
    the fourth above (wide ranges can hide nearer ones from the list below a
    port: one more is allowed on that side).
    """
    from .choices import RANGE_BOUNDS, range_class_for

    found = set()
    for number in sorted(set(numbers)):
        low, high = RANGE_BOUNDS[range_class_for(number)]
        below = bisect.bisect_left(registered, number)
        above = bisect.bisect_right(registered, number)
        start = registered[below - 3] if below >= 3 else low
        end = registered[above + 3] - 1 if above + 3 < len(registered) else high
        found.update(range(max(start, low), min(end, high) + 1))
        if len(found) > BULK_PORTS:
            break
    return found


def invalidate_registry_ranges(ranges: Iterable[tuple[int | None, int | None]]):
    """
    An import changed registry entries on these (low, high) ranges: refresh
    the pages of the ports they cover, of the ports near them (their
    neighbour lists) and of stories that list them as related ports (their
    service names), and the listings.
    """
    from .models import Assignment

    ranges = list(ranges)
    if not ranges:
        return  # the same registry: no page shows anything new
    touched = ports_in_ranges(ranges)
    if len(touched) > BULK_PORTS:
        invalidate_ports(touched)
        return
    # One query: the starts of registered ranges, and the live stories
    # relating to the touched ports.
    relating_sql, relating_params = _relating_sql(sorted(touched))
    sql = (
        f"SELECT 0, port_low FROM {Assignment._meta.db_table} "  # noqa: S608
        "WHERE status = %s AND port_low IS NOT NULL GROUP BY port_low "
        f"UNION ALL {relating_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [AssignmentStatus.ASSIGNED.value, *relating_params])
        rows = cursor.fetchall()
    registered, relating = [], set()
    for row_kind, number in rows:
        if row_kind:
            relating.add(number)
        else:
            registered.append(number)
    registered.sort()
    invalidate_ports(touched | neighbour_ports(touched, registered) | relating)


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
    return f"pages:entry:{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


def _timeout(page: Page) -> int:
    seconds = page_cache_seconds()
    if page.expires_at is not None:
        seconds = min(seconds, int((page.expires_at - timezone.now()).total_seconds()))
    return seconds


def _entry(page: Page, *, compressed=True) -> dict:
    # A page that is not cached is compressed, if at all, by GZipMiddleware
    # for the one reader who gets it.
    body = page.content.encode()
    return {
        "content": body,
        "content_type": page.content_type,
        "etag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "last_modified": page.last_modified.timestamp() if page.last_modified else None,
        "personal": page.personal,
        "gzip": _gzip_parts(body, personal=page.personal) if compressed else None,
    }


# Compressed once when the page is cached, not for every reader: the page is
# deflated in pieces between its CSRF placeholders (one per form), each but
# the last ending on a byte boundary (a sync flush), and a reader's response
# is those pieces with their token, as a stored (uncompressed) deflate block,
# in each gap: one valid deflate stream, as pieces concatenate while only
# the last is final.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
GZIP_MIN_BYTES = 200  # as GZipMiddleware: smaller bodies do not shrink


def _deflate(data: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    end = zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    return compressor.compress(data) + compressor.flush(end)


def _stored_block(data: bytes) -> bytes:
    """A non-final deflate block holding `data` as is (under 64 KB)."""
    # Header bits BFINAL=0, BTYPE=00, padded to the byte, then LEN and NLEN.
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


def _gzip_parts(body: bytes, *, personal: bool) -> list[bytes] | None:
    if len(body) < GZIP_MIN_BYTES:
        return None
    pieces = body.split(CSRF_PLACEHOLDER.encode()) if personal else [body]
    return [
        _deflate(piece, final=index == len(pieces) - 1)
        for index, piece in enumerate(pieces)
    ]


def _gzipped(entry: dict, token: bytes | None) -> bytes:
    """The entry's body, with the reader's token if personal, as gzip."""
    parts = entry["gzip"]
    if token is None:
        data, deflated = entry["content"], parts[0]
    else:
        data = entry["content"].replace(CSRF_PLACEHOLDER.encode(), token)
        deflated = _stored_block(token).join(parts)
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _GZIP_HEADER + deflated + trailer


def _new_csrf_secret() -> str:
    # As Django's, from one read of the system's random source rather than
    # one per character: bytes below 248 (4 × 62) map evenly onto the 62
    # characters a secret may hold.
    chars = []
    while len(chars) < CSRF_SECRET_LENGTH:
        chars += [
            CSRF_ALLOWED_CHARS[byte % len(CSRF_ALLOWED_CHARS)]
            for byte in secrets.token_bytes(48)
            if byte < 248
        ]
    return "".join(chars[:CSRF_SECRET_LENGTH])


def reader_csrf_token(request) -> bytes:
    """
    The token for the forms of a shared page: the reader's CSRF secret, or a
    new one (sent as their cookie, as rotate_token would) for a reader
    without one.

    Django accepts the secret itself as a form's token. Masking it afresh for
    every response (what get_token does) guards against compression attacks
    (BREACH), which need the secret compressed together with text an attacker
    chose: these pages reflect nothing from the request, and the compressed
    copy holds the token in an uncompressed (stored) block.
    """
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        secret = request.META["CSRF_COOKIE"] = _new_csrf_secret()
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return secret.encode()


_CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _response(request, entry: dict, *, cached: bool) -> HttpResponse:
    # Cache hits come through here: header values are set directly rather
    # than through the patch_* helpers, on a response that has none yet.
    content = entry["content"]
    etag = entry["etag"]
    token = None
    if entry["personal"]:
        token = reader_csrf_token(request)
        # A copy the reader's browser kept holds a token for the CSRF secret
        # they had then: it is current only while they still have it (a
        # reader whose cookie expired gets the page, not a 304).
        etag = f'{etag[:-1]}-{hashlib.sha256(token).hexdigest()[:8]}"'
    gzip = (
        cached
        and entry["gzip"]
        and accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    )
    if gzip:
        content = _gzipped(entry, token)
        etag = f"W/{etag}"  # the same page, another representation
    elif token is not None:
        content = content.replace(CSRF_PLACEHOLDER.encode(), token)
    response = HttpResponse(content, content_type=entry["content_type"])
    headers = response.headers
    if gzip:
        headers["Content-Encoding"] = "gzip"
    headers["Vary"] = "Accept-Encoding"
    headers["ETag"] = etag
    if entry["last_modified"] is not None:
        headers["Last-Modified"] = http_date(entry["last_modified"])
    if not cached:
        add_never_cache_headers(response)
    else:
        # Revalidate every time (cheap: a 304); pages with a reader's CSRF
        # token must stay out of shared caches.
        headers["Cache-Control"] = (
            "no-cache, private" if entry["personal"] else "no-cache"
        )
    if any(name in request.META for name in _CONDITIONAL_HEADERS):
        return (
            get_conditional_response(
                request,
                etag=etag,
                last_modified=entry["last_modified"] and int(entry["last_modified"]),
                response=response,
            )
            or response
        )
    return response


def lookup(request, scope: Scope) -> tuple[str, list, dict | None, int | None]:
    """
    The cache key of this request's page, the current version tokens, the
    cached entry if it is still current, and what the local tier needs to
    keep a page built now: from this process's memory when it holds the
    page (ports.local_pages), else one round trip to the shared cache.
    """
    key = _key(request, scope.keys[-1], scope.variant)
    local = local_pages()
    seen = None
    if local is not None:
        entry, seen = local.get(key, scope.keys)
        if entry is not None:
            return key, entry["versions"], entry, seen
    found = cache.get_many([*scope.keys, key])
    versions = [found.get(name) for name in scope.keys]
    if None in versions:
        versions = _versions(*scope.keys)
    entry = found.get(key)
    if entry is not None and entry["versions"] != versions:
        entry = None
    if local is not None:
        local.remember(seen, scope.keys, versions, key, entry)
    return key, versions, entry, seen


def cached_response(request, scope: Scope) -> HttpResponse | None:
    """The cached page for this request, if one is current; None otherwise."""
    entry = lookup(request, scope)[2]
    return None if entry is None else _response(request, entry, cached=True)


def cached_page(
    request, build: Callable[[], Page], scope: Scope | None
) -> HttpResponse:
    """
    The response for a reader's page, from the cache when possible.

    `scope` (see Scope) selects the cached entry; None builds the page for
    this request only.
    """
    if scope is None or not is_cacheable(request):
        return _response(request, _entry(build(), compressed=False), cached=False)
    key, versions, entry, seen = lookup(request, scope)
    if entry is None:
        page = build()
        timeout = _timeout(page)
        entry = {**_entry(page), "versions": versions, "expires": time.time() + timeout}
        if timeout > 0:
            cache.set(key, entry, timeout=timeout)
            if (local := local_pages()) is not None:
                local.remember(seen, scope.keys, versions, key, entry)
    return _response(request, entry, cached=True)
