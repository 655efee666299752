"""
Cache hits answered early, and public reads sent to a read replica.

A reader's page that is in the page cache is answered before sessions,
authentication, messages and the view run: the middleware works out the
language from the URL as LocaleMiddleware would, finds the view's cache
scope from the URL (`ports.caching.page_scope`), both once per path and
worker, and answers from the cache (most often from the worker's own
memory, see ports.local_pages).
On the way out it does what the skipped middleware would have done to that
response: the reader's CSRF token and cookie, Content-Language and Vary, and
X-Frame-Options. Anything else (a miss, a session cookie, a view without a
scope) goes down the usual stack, where `cached_page` fills the cache.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

from . import caching, routers

# Paths resolved per worker: a port page's path resolves the same way always.
RESOLVED_PATHS = 8192


@dataclass(frozen=True)
class Route:
    """A path whose page may be in the page cache, and how to find it there."""

    language: str
    # Whether the language came from the URL's prefix: else the response
    # varies with Accept-Language, as LocaleMiddleware says.
    language_from_path: bool
    scope: Callable
    args: tuple
    kwargs: dict


@lru_cache(maxsize=RESOLVED_PATHS)
def route(path_info: str, urlconf: str) -> Route | None:
    """
    The cacheable page at this path, or None. Only paths whose language the
    URL decides (language prefixes, the default language unprefixed) are
    answered early; elsewhere the language may come from a cookie or the
    browser, and LocaleMiddleware and the view decide.
    """
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(
        urlconf
    )
    if not i18n_patterns_used:
        return None
    language = translation.get_language_from_path(path_info)
    from_path = bool(language)
    if not language:
        if prefixed_default_language:
            return None
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            match = resolve(path_info, urlconf)
        except Resolver404:
            return None
        language = translation.get_language()
    scope = getattr(match.func, "page_scope", None)
    if scope is None:
        return None
    return Route(language, from_path, scope, match.args, match.kwargs)


def _no_response(request):  # the skipped middleware never call down the stack
    raise AssertionError("a cache hit has no view to call")


class PageCacheMiddleware:
    """Answer anonymous readers' cache hits before the rest of the stack runs."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Its process_request/process_response, applied to cache hits.
        self.csrf = CsrfViewMiddleware(_no_response)
        self.x_frame_options = XFrameOptionsMiddleware(
            _no_response
        ).get_xframe_options_value(None, None)

    def __call__(self, request):
        response = self.from_cache(request)
        if response is None:
            return self.get_response(request)
        return response

    def from_cache(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or caching.page_cache_seconds() <= 0
            # A session may be signed in: the view's cache checks it.
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return None
        urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
        page = route(request.path_info, str(urlconf))
        if page is None:
            return None
        translation.activate(page.language)
        request.LANGUAGE_CODE = page.language
        scope = page.scope(request, *page.args, **page.kwargs)
        if scope is None:
            return None
        self.csrf.process_request(request)
        response = caching.cached_response(request, scope)
        if response is None:
            return None
        response = self.csrf.process_response(request, response)
        # What LocaleMiddleware and XFrameOptionsMiddleware would add.
        if not page.language_from_path:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers["Content-Language"] = page.language
        response.headers.setdefault("X-Frame-Options", self.x_frame_options)
        return response


class ReplicaReadsMiddleware:
    """
    Public reads go to the read replica (when one is configured): safe
    requests without a session cookie, so nobody who just wrote something
    reads it back from a replica that may lag behind.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )
        with routers.public_reads(public):
            return self.get_response(request)
