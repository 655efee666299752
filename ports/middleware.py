"""
Cache hits answered early, and public reads sent to a read replica.

A reader's page that is in the page cache costs one cache round trip: the
middleware sits before sessions, authentication, messages and the view,
works out the language as LocaleMiddleware would, finds the view's cache
scope from the URL (`ports.caching.page_scope`) and answers from the cache.
On the way out it does what the skipped middleware would have done to that
response: the reader's CSRF token and cookie, Content-Language and Vary, and
X-Frame-Options. Anything else (a miss, a session cookie, a view without a
scope) goes down the usual stack, where `cached_page` fills the cache.
"""

from functools import lru_cache

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation

from . import caching, routers

# Paths resolved per worker: a port page's path resolves the same way always.
RESOLVED_PATHS = 8192


@lru_cache(maxsize=RESOLVED_PATHS)
def _resolve(path_info: str, language: str, urlconf: str):
    # Language prefixes resolve under the active language, hence the key.
    try:
        return resolve(path_info, urlconf)
    except Resolver404:
        return None


def request_language(request) -> str:
    """The language LocaleMiddleware would activate for this request."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(
        urlconf
    )
    if i18n_patterns_used:
        # The URL decides, without parsing cookies or Accept-Language.
        language = translation.get_language_from_path(request.path_info)
        if language:
            return language
        if not prefixed_default_language:
            return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request, check_path=i18n_patterns_used)


def _no_response(request):  # the skipped middleware never call down the stack
    raise AssertionError("a cache hit has no view to call")


class PageCacheMiddleware:
    """Answer anonymous readers' cache hits before the rest of the stack runs."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Their process_request/process_response, applied to cache hits.
        self.csrf = CsrfViewMiddleware(_no_response)
        self.locale = LocaleMiddleware(_no_response)
        self.xframe = XFrameOptionsMiddleware(_no_response)

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
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        match = _resolve(request.path_info, request.LANGUAGE_CODE, str(urlconf))
        page_scope = getattr(match.func, "page_scope", None) if match else None
        if page_scope is None:
            return None
        scope = page_scope(request, *match.args, **match.kwargs)
        if scope is None:
            return None
        self.csrf.process_request(request)
        response = caching.cached_response(request, scope)
        if response is None:
            return None
        response = self.csrf.process_response(request, response)
        response = self.locale.process_response(request, response)
        return self.xframe.process_response(request, response)


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
