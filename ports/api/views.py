"""
The read-only JSON API under /api/v1/ (django-ninja: OpenAPI 3 schema at
/api/v1/openapi.json, interactive documentation at /api/v1/docs).

Answers are shared with caches as reader pages are (ports.cache.headers):
public, with an ETag (304s), and tagged for purging, a port's answer with
its port page's tags, lists with the listings'. Every answer, errors and
304s included, may be read from any origin's scripts (django-cors-headers,
configured in settings). Every address takes GET and HEAD. Errors are JSON:
{"detail": "..."}.
"""

from datetime import date
from functools import wraps
from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.docs import Swagger
from pydantic import Field, field_validator

from ports.api import data, schemas
from ports.cache import tags
from ports.cache.headers import share
from ports.choices import PORT_MAX, PORT_MIN, AssignmentStatus, Transport
from ports.reader import page_data

PER_PAGE = 100
MAX_PER_PAGE = 1000


def read_only(view):
    """
    HEAD answered as GET, as Django's own views do (the server sends no
    body), and other methods refused in JSON: django-ninja refuses HEAD
    and answers a refusal in plain text.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "HEAD":
            request.method = "GET"
            try:
                return view(request, *args, **kwargs)
            finally:
                request.method = "HEAD"
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = ", ".join(sorted({*response["Allow"].split(", "), "HEAD"}))
            response = JsonResponse(
                {"detail": f"{request.method} is not answered here: use {allowed}."},
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapped


class OpenDataAPI(NinjaAPI):
    """Good answers shared as an operation says; every address read-only."""

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        caching = getattr(request, "api_caching", None)
        if response.status_code == 200 and caching is not None:
            share(request, response, **caching)
        return response

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = read_only(pattern.callback)
        return patterns, app_name, namespace


def shared_docs(view):
    """
    The schema and its documentation page: shared until a release purges
    all. Swagger UI's stylesheet draws its icons as data: images, which the
    site's policy allows on this page alone.
    """

    @csp_override(
        {
            **settings.SECURE_CSP,
            "img-src": [*settings.SECURE_CSP["img-src"], "data:"],
        }
    )
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            share(request, response, tags=[tags.SITE])
        return response

    return wrapped


api = OpenDataAPI(
    title="portwiki open data",
    version="1",
    description=(
        "Read-only data of every network port: IANA's registry entries and "
        "their history, the reviewed known uses and observed use of each port, "
        "and the live stories' titles, summaries, addresses and dates. Only "
        "published content appears. Registry data is IANA's "
        "(https://www.iana.org/help/licensing-terms)."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=Swagger(settings={"defaultModelsExpandDepth": 0}),
    docs_decorator=shared_docs,
)


def cache_as(request, tag_list, *, changes_at=None):
    """Share this request's answer, tagged with `tag_list` (ports.cache.tags)."""
    request.api_caching = {"tags": tag_list, "changes_at": changes_at}


def _addresses(request) -> data.Addresses:
    return data.Addresses(request.build_absolute_uri("/")[:-1])


# Where a value was sent: the field's name says enough.
PLACES = ("query", "path")


@api.exception_handler(ValidationError)
def invalid(request, exc):
    """A value that is not what the schema says: which one, and why."""
    problems = []
    for error in exc.errors:
        where = [str(part) for part in error.get("loc", ()) if part not in PLACES]
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        problems.append(f"{'.'.join(where) or 'request'}: {message}")
    return api.create_response(request, {"detail": "; ".join(problems)}, status=400)


def not_found(request, exception=None):
    """Any other address under /api/v1/: a JSON 404."""
    return JsonResponse(
        {
            "detail": f"No such API address: {request.path}. "
            "The API is described at /api/v1/docs."
        },
        status=404,
    )


def _known_filters(request, filters: type[Schema]):
    unknown = sorted(set(request.GET) - set(filters.model_fields))
    if unknown:
        raise HttpError(
            400,
            f"Unknown filter {', '.join(unknown)}. "
            f"Known: {', '.join(filters.model_fields)}.",
        )


class Paging(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(
        PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Items per page."
    )


def _page(request, rows, paging: Paging, *, present=list) -> dict:
    """
    One page of `rows` (a QuerySet, paged in SQL) with the count and links to
    its neighbours; `present` turns the page's rows into its items.
    """
    count = rows.count()
    start = (paging.page - 1) * paging.per_page
    if start and start >= count:
        raise HttpError(404, f"No page {paging.page}: there are {count} items.")

    def link(number):
        query = {**request.GET.dict(), "page": number}
        return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")

    return {
        "count": count,
        "page": paging.page,
        "per_page": paging.per_page,
        "next": link(paging.page + 1) if start + paging.per_page < count else None,
        "previous": link(paging.page - 1) if paging.page > 1 else None,
        "items": present(rows[start : start + paging.per_page]),
    }


NOT_FOUND = {404: schemas.Error}
BAD_REQUEST = {400: schemas.Error}


@api.get(
    "/ports/{number}",
    response={200: schemas.Port, **NOT_FOUND},
    summary="A port",
    tags=["ports"],
)
def port(request, number: int):
    """
    Everything known of one port number (0–65535): its registry entries,
    the known uses and observed use, its live story and registry history.
    """
    if not PORT_MIN <= number <= PORT_MAX:
        raise HttpError(
            404, f"No port {number}: port numbers run from {PORT_MIN} to {PORT_MAX}."
        )
    answer = data.port(number, addresses=_addresses(request))
    cache_as(request, tags.port_page_tags(number), changes_at=answer.changes_at)
    return answer.data


class AssignmentFilters(Paging):
    service: str = Field("", description="Service name, in any case.")
    transport: Literal[tuple(value for value in Transport.values if value)] | None = (
        None
    )
    port: int | None = Field(
        None, ge=PORT_MIN, le=PORT_MAX, description="Entries covering this port."
    )
    range: str = Field(
        "",
        pattern=r"^\d{1,5}-\d{1,5}$",
        description="Entries overlapping these ports, e.g. 6000-6063.",
    )
    status: Literal[tuple(AssignmentStatus.values)] | None = None
    modified_since: date | None = Field(
        None, description="Entries changed by an import on or after this day."
    )

    @field_validator("range")
    @classmethod
    def _ordered(cls, value):
        if value:
            low, high = (int(part) for part in value.split("-"))
            if not PORT_MIN <= low <= high <= PORT_MAX:
                raise ValueError(
                    f"a range runs from a lower to a higher port, {PORT_MIN}–{PORT_MAX}"
                )
        return value


@api.get(
    "/assignments",
    response={200: schemas.AssignmentPage, **BAD_REQUEST, **NOT_FOUND},
    summary="Registry entries",
    tags=["registry"],
)
def assignment_list(request, filters: Query[AssignmentFilters]):
    """IANA's registry entries, filtered, by port."""
    _known_filters(request, AssignmentFilters)
    low = high = None
    if filters.range:
        low, high = (int(part) for part in filters.range.split("-"))
    rows = data.assignments(
        service=filters.service,
        transport=filters.transport,
        port=filters.port,
        low=low,
        high=high,
        status=filters.status or "",
        modified_since=filters.modified_since,
    )
    cache_as(request, tags.LISTING_TAGS)
    return _page(request, rows, filters)


@api.get(
    "/services/{name}",
    response={200: schemas.Service, **NOT_FOUND},
    summary="A service name",
    tags=["registry"],
)
def service(request, name: str):
    """A service name's registry entries (in any case), withdrawn ones too."""
    entries = data.service(name)
    if not entries:
        raise HttpError(404, f"No service named {name!r} in the registry.")
    current = [e for e in entries if e["status"] != AssignmentStatus.WITHDRAWN]
    cache_as(request, tags.LISTING_TAGS)
    return {"name": (current or entries)[0]["service_name"], "entries": entries}


@api.get(
    "/stories",
    response={200: schemas.StoryPage, **BAD_REQUEST, **NOT_FOUND},
    summary="Live stories",
    tags=["stories"],
)
def story_list(request, paging: Query[Paging]):
    """The stories readers can read now, by port: titles, summaries, dates."""
    _known_filters(request, Paging)
    addresses = _addresses(request)
    _last_modified, changes_at = page_data.listing_moments()
    cache_as(request, tags.LISTING_TAGS, changes_at=changes_at)
    return _page(
        request,
        data.live_stories(),
        paging,
        present=lambda rows: data.story_summaries(rows, addresses=addresses),
    )


class ChangeFilters(Paging):
    since: date | None = Field(
        None, description="Changes imported on or after this day."
    )


@api.get(
    "/changes",
    response={200: schemas.ChangePage, **BAD_REQUEST, **NOT_FOUND},
    summary="Registry changes",
    tags=["registry"],
)
def change_list(request, filters: Query[ChangeFilters]):
    """What imports changed in the registry, oldest first."""
    _known_filters(request, ChangeFilters)
    cache_as(request, tags.LISTING_TAGS)
    return _page(request, data.changes(since=filters.since), filters)
