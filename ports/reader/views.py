"""
The reader site: thin views over ports.reader.page_data and ports.reader.search.

Every reader page is the same for all anonymous readers and shared with
caches, tagged for purging (ports.cache); only the feedback form's
thank-you state is per reader.
"""

from functools import wraps

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from ports.cache import tags
from ports.cache.headers import private, share
from ports.choices import (
    PORT_MAX,
    PORT_MIN,
    RANGE_BOUNDS,
    AssignmentStatus,
    RangeClass,
    Transport,
)
from ports.models import FeedbackPrompt, FeedbackVote
from ports.reader import feedback as reader_feedback
from ports.reader import page_data, search, versions
from ports.reader.addresses import url
from ports.security import same_origin_only

RANGE_TEXTS = {
    RangeClass.SYSTEM: _(
        "The well-known ports. IANA assigns them only after IETF Review or IESG "
        "Approval, and on most systems only privileged programs may listen on them."
    ),
    RangeClass.USER: _(
        "The registered ports. Anyone may apply to IANA for one; an expert reviews "
        "each request. Ordinary programs may listen on them."
    ),
    RangeClass.DYNAMIC: _(
        "The dynamic or private ports. IANA never assigns them: operating systems "
        "pick them as temporary source ports, and anyone may use them privately."
    ),
}


def ranges():
    return [
        {
            "range_class": range_class,
            "label": range_class.label,
            "low": RANGE_BOUNDS[range_class][0],
            "high": RANGE_BOUNDS[range_class][1],
            "text": RANGE_TEXTS[range_class],
        }
        for range_class in RangeClass
    ]


def share_listing(request, response):
    """A page that lists many things: fresh until a story's schedule is due."""
    last_modified, changes_at = page_data.listing_moments()
    return share(
        request,
        response,
        tags=tags.LISTING_TAGS,
        last_modified=last_modified,
        changes_at=changes_at,
    )


def _listing(request, template, context):
    return share_listing(request, render(request, template, context))


@require_safe
def home(request):
    language = get_language()
    return _listing(
        request,
        "ports/home.html",
        {
            "published": page_data.recent_stories(language=language),
            "updated": page_data.recent_stories(language=language, updates=True),
            "ranges": ranges(),
        },
    )


# Port pages ---------------------------------------------------------------------


def _check_port(number):
    if not PORT_MIN <= number <= PORT_MAX:
        raise Http404("No such port number.")


@require_safe
def port_detail(request, number):
    _check_port(number)
    canonical = url("ports:port-detail", number)
    if request.path != canonical:  # /ports/0080/ → /ports/80/
        return redirect(canonical, permanent=True)
    # After an answer without JavaScript: which thank-you text to show.
    thanks = request.GET.get("thanks", "")
    if thanks not in reader_feedback.THANKS_STATES:
        thanks = ""

    page = page_data.port_page_data(number, language=get_language())
    if page.localized_story is not None:
        found = versions.published_versions(
            port=number,
            live_revision_id=page.story.live_revision_id,
            live_since=page.story.go_live_at,
        )
        page.version = page.current_version = versions.current_version(
            found, page.story.live_revision_id
        )
    context = {
        "page": page,
        "thanks": thanks,
        "thanks_message": thanks
        and reader_feedback.thanks_message(thanks, page.feedback_prompt),
        "comment_max_length": FeedbackVote.COMMENT_MAX_LENGTH,
        "honeypot_field": reader_feedback.HONEYPOT_FIELD,
    }
    response = render(request, "ports/port_detail.html", context)
    if thanks:  # this reader's answer, not the page
        return private(response)
    return share(
        request,
        response,
        tags=tags.port_page_tags(number),
        last_modified=page.last_modified,
        changes_at=page.next_change_at,
    )


@require_safe
def port_version(request, number, version):
    """
    A published version of the port's story (ports.reader.versions), as it
    was, under a banner linking the current one. Its content never changes;
    the banner does when a new version goes live, which purges the port.
    """
    _check_port(number)
    canonical = url("ports:port-version", number, version)
    if request.path != canonical:  # /ports/0373/v/04/ → /ports/373/v/4/
        return redirect(canonical, permanent=True)
    found = versions.story_version(number, version)
    if found is None:
        raise Http404("No such published version.")
    page = page_data.port_page_with_content(
        number, found.content, language=get_language(), story=found.story
    )
    page.version, page.current_version = found.version, found.current
    response = render(
        request, "ports/port_detail.html", {"page": page, "version_page": True}
    )
    # The port's page is the one to find, even for the current version: this
    # one is for citations.
    response["X-Robots-Tag"] = "noindex"
    return share(
        request,
        response,
        tags=tags.port_page_tags(number),
        last_modified=page.last_modified,
        changes_at=page.next_change_at,
    )


# The page carries no per-reader token, so it can be shared by every cache:
# the form is protected by the browser's word on where it was sent from.
@csrf_exempt
@same_origin_only
@require_POST
def feedback(request, number):
    """
    An answer to the page's prompt. Scripts (asking for JSON) get the message
    to show in place; a plain form post returns to the page's thank-you state.
    """
    _check_port(number)
    wants_json = "application/json" in request.headers.get("Accept", "")
    prompt = FeedbackPrompt.objects.filter(key=FeedbackPrompt.SITE_KEY).first()
    try:
        reply = reader_feedback.answer(
            request, number=number, language=get_language(), prompt=prompt
        )
    except reader_feedback.FeedbackRefused as refused:
        if wants_json:
            return JsonResponse({"message": str(refused)}, status=refused.status)
        return HttpResponse(
            str(refused),
            status=refused.status,
            content_type="text/plain; charset=utf-8",
        )
    if wants_json:
        return JsonResponse(
            {
                "state": reply.state,
                "message": reply.message,
                "ask_comment": reply.ask_comment,
            }
        )
    page_url = reverse("ports:port-detail", args=[number])
    return redirect(f"{page_url}?thanks={reply.state}#feedback")


# Lists of ports -------------------------------------------------------------------


class PortFilterForm(forms.Form):
    range_class = forms.ChoiceField(
        label=_("Range"),
        required=False,
        choices=[("", _("All ranges")), *RangeClass.choices],
    )
    transport = forms.ChoiceField(
        label=_("Transport"),
        required=False,
        choices=[("", _("Any transport")), *[c for c in Transport.choices if c[0]]],
    )
    status = forms.ChoiceField(
        label=_("Registry status"),
        required=False,
        choices=[
            ("", _("Any status")),
            *AssignmentStatus.choices,
            (page_data.NO_ENTRY, _("No registry entry")),
        ],
    )
    story = forms.ChoiceField(
        label=_("Story"),
        required=False,
        choices=[
            ("", _("With or without")),
            ("yes", _("Has a story")),
            ("no", _("No story yet")),
        ],
    )

    def __init__(self, *args, fixed_range=False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_range:
            del self.fields["range_class"]


def _port_listing(
    request, *, low, high, title, intro="", fixed_range=True, heading_range=None
):
    form = PortFilterForm(request.GET, fixed_range=fixed_range)
    if not form.is_valid():
        context = {
            "form": form,
            "title": title,
            "heading_range": heading_range,
            "intro": intro,
        }
        return render(request, "ports/port_list.html", context, status=400)
    data = form.cleaned_data
    if data.get("range_class"):
        low, high = RANGE_BOUNDS[RangeClass(data["range_class"])]
    filters = page_data.PortFilters(
        transport=data["transport"], status=data["status"], story=data["story"]
    )
    numbers = page_data.matching_numbers(low, high, filters)
    paginator = Paginator(numbers, page_data.LISTING_PAGE_SIZE)
    try:
        page_obj = paginator.page(request.GET.get("page") or "1")
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page.") from None
    query = {name: value for name, value in data.items() if value}
    return _listing(
        request,
        "ports/port_list.html",
        {
            "form": form,
            "title": title,
            "heading_range": heading_range,
            "intro": intro,
            "range_low": low,
            "range_high": high,
            "page_obj": page_obj,
            "rows": page_data.port_rows(page_obj.object_list, language=get_language()),
            "query": query,
            "filtered": filters.active,
        },
    )


@require_safe
def port_list(request):
    return _port_listing(
        request, low=PORT_MIN, high=PORT_MAX, title=_("All ports"), fixed_range=False
    )


@require_safe
def range_class(request, name):
    try:
        chosen = RangeClass(name)
    except ValueError:
        raise Http404("No such range.") from None
    low, high = RANGE_BOUNDS[chosen]
    return _port_listing(
        request,
        low=low,
        high=high,
        title=chosen.label,
        intro=RANGE_TEXTS[chosen],
    )


@require_safe
def port_range(request, low, high):
    if not PORT_MIN <= low <= high <= PORT_MAX:
        raise Http404("No such port range.")
    if low == high:
        return redirect("ports:port-detail", number=low)
    canonical = reverse("ports:port-range", kwargs={"low": low, "high": high})
    if request.path != canonical:
        return redirect(canonical, permanent=True)
    return _port_listing(
        request,
        low=low,
        high=high,
        title=_("Ports %(range)s") % {"range": f"{low}–{high}"},
        heading_range=(low, high),
    )


# Services ---------------------------------------------------------------------


@require_safe
def service_detail(request, name):
    service = page_data.service_page_data(name, language=get_language())
    if service is None:
        raise Http404("No such service name in the registry.")
    return _listing(request, "ports/service_detail.html", {"service": service})


# Search ---------------------------------------------------------------------------


@require_safe
def search_view(request):
    parsed = search.parse_query(request.GET.get("q", ""))
    if parsed.kind == "port":
        return redirect("ports:port-detail", number=parsed.low)
    if parsed.kind == "range":
        if parsed.low == parsed.high:
            return redirect("ports:port-detail", number=parsed.low)
        return redirect("ports:port-range", low=parsed.low, high=parsed.high)

    results = None
    if parsed.kind == "words":
        results = search.search(parsed.text, language=get_language())
    return _listing(
        request, "ports/search.html", {"parsed": parsed, "results": results}
    )


# Site files -------------------------------------------------------------------------


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap-index"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "Disallow: /ports/*/feedback/",
        "",
        f"Sitemap: {sitemap}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request):
    """The site's icon, where clients look for it without a link."""
    response = redirect(static("favicon.svg"), permanent=True)
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response


def shared_listing(view):
    """A listing-like view (feeds, sitemaps) shared with caches as listings are."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        return share_listing(request, response)

    return wrapped
