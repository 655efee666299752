"""
Plain answers to requests that cannot be served, instead of server errors.

- RequestLimitsMiddleware refuses, before anything reads them, bodies larger
  than REQUEST_MAX_BYTES (413) and addresses holding NUL or other control
  characters (400), which no page uses and PostgreSQL cannot store or compare.
- bad_request answers Django's refusals (bodies over DATA_UPLOAD_MAX_MEMORY_SIZE
  with 413, too many fields or files, broken multipart with 400).
- server_error answers with 503 and Retry-After while the database cannot be
  reached, so clients and load balancers retry; other errors get a plain 500.

The pages are plain templates that need neither the database nor a request
context, so they render whatever else is broken.
"""

import re
import sys
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

# C0 controls other than tab, line feed and carriage return, and DEL.
_CONTROL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATABASE_RETRY_SECONDS = 5


def plain_page(status: int, *, headers=None) -> HttpResponse:
    response = HttpResponse(
        loader.get_template(f"{status}.html").render(),
        status=status,
        content_type="text/html; charset=utf-8",
    )
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
            return plain_page(400)
        if length < 0:
            return plain_page(400)
        if length > settings.REQUEST_MAX_BYTES:
            return plain_page(413)
        if _has_control_characters(request):
            return plain_page(400)
        return self.get_response(request)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return plain_page(413)
    return plain_page(400)


def server_error(request):
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return plain_page(503, headers={"Retry-After": str(DATABASE_RETRY_SECONDS)})
    return plain_page(500)
