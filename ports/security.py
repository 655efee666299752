"""
Plain answers to requests that cannot be served, instead of server errors.

- RequestLimitsMiddleware refuses, before anything reads them, bodies larger
  than REQUEST_MAX_BYTES (413) and addresses holding NUL or other control
  characters (400), which no page uses and PostgreSQL cannot store or compare.
- bad_request answers Django's refusals (bodies over DATA_UPLOAD_MAX_MEMORY_SIZE
  with 413, too many fields or files, broken multipart with 400).
- server_error answers with 503 and Retry-After while the database cannot be
  reached, so clients and load balancers retry; other errors get a plain 500.
- client_address is the reader's address behind TRUSTED_PROXY_COUNT proxies,
  for feedback votes and login lockouts.
- same_origin_only guards a form that carries no CSRF token (the readers'
  feedback, on pages every reader shares): only the site's own pages may
  post it, by the browser's word (403 otherwise).

The pages are plain templates that need neither the database nor a request
context, so they render whatever else is broken. Under /api/ the answers are
JSON, as the API's own errors are.
"""

import logging
import re
import sys
from functools import wraps
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import is_same_domain
from django.utils.translation import gettext as _

# C0 controls other than tab, line feed and carriage return, and DEL.
_CONTROL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATABASE_RETRY_SECONDS = 5

logger = logging.getLogger(__name__)


def plain_page(status: int, *, headers=None) -> HttpResponse:
    response = HttpResponse(
        loader.get_template(f"{status}.html").render(),
        status=status,
        content_type="text/html; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


API_PREFIX = "/api/"
REFUSALS = {
    400: "Bad request: an address or value holding NUL or other control "
    "characters, or a malformed body.",
    413: "The request is too large.",
}


def refusal(request, status: int, *, headers=None) -> HttpResponse:
    """A refused request's answer: JSON under /api/, a plain page elsewhere."""
    if not request.path_info.startswith(API_PREFIX):
        return plain_page(status, headers=headers)
    response = JsonResponse({"detail": REFUSALS[status]}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _has_control_characters(request) -> bool:
    raw_path = request.META.get("PATH_INFO", "").encode("latin-1", "replace")
    query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
    return bool(
        _CONTROL_BYTES_RE.search(raw_path)
        or _CONTROL_BYTES_RE.search(unquote_to_bytes(raw_path))
        or _CONTROL_BYTES_RE.search(unquote_to_bytes(query.replace(b"+", b" ")))
    )


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, 400)
        if length < 0:
            return refusal(request, 400)
        if length > settings.REQUEST_MAX_BYTES:
            return refusal(request, 413)
        if _has_control_characters(request):
            return refusal(request, 400)
        return self.get_response(request)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return refusal(request, 413)
    return refusal(request, 400)


def server_error(request):
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return plain_page(503, headers={"Retry-After": str(DATABASE_RETRY_SECONDS)})
    return plain_page(500)


# Readers' addresses ----------------------------------------------------------------


def client_address(request) -> str:
    """
    The reader's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in
    front, the address the outermost trusted proxy saw (X-Forwarded-For is
    read from the right, since a client can put anything on its left).
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


# Cross-origin posts --------------------------------------------------------------


def _trusted_origin(origin: str) -> bool:
    """An origin of CSRF_TRUSTED_ORIGINS ("https://*.example": its subdomains)."""
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" not in trusted:
            if origin == trusted:
                return True
            continue
        wanted, given = urlsplit(trusted), urlsplit(origin)
        if wanted.scheme == given.scheme and is_same_domain(
            given.netloc, wanted.netloc.lstrip("*")
        ):
            return True
    return False


def is_same_origin(request) -> bool:
    """
    Whether the browser says the request comes from the site's own pages:
    Fetch Metadata's Sec-Fetch-Site where the browser sends it (every current
    one does), else Origin against the site's own origin. An origin listed
    in CSRF_TRUSTED_ORIGINS is the site's too. A request with neither
    header is not from a browser that can vouch for it.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if origin and _trusted_origin(origin):
        return True
    site = request.META.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        # "none": the reader's own doing (a bookmark, the address bar).
        return site in ("same-origin", "none")
    if not origin:
        return False
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    return origin == f"{request.scheme}://{host}"


def same_origin_only(view):
    """
    Refuse, with a plain 403 and before the view runs, a post that does not
    come from the site's own pages. Scripts asking for JSON get the reason
    as JSON.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if (
            request.method in ("GET", "HEAD", "OPTIONS")
            or is_same_origin(request)
            # As Django's CSRF check does, the test client's requests skip
            # this unless it enforces CSRF checks.
            or getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            return view(request, *args, **kwargs)
        logger.warning(
            "Cross-origin post refused: %s (Sec-Fetch-Site %s, Origin %s)",
            request.path,
            request.META.get("HTTP_SEC_FETCH_SITE", "-"),
            request.META.get("HTTP_ORIGIN", "-"),
        )
        if "application/json" in request.headers.get("Accept", ""):
            message = _("This form can only be sent from this site's own pages.")
            return JsonResponse({"message": message}, status=403)
        return plain_page(403)

    return guarded
