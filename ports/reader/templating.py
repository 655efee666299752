"""
The reader site's templates: a Jinja2 environment with Django's translations,
URLs and static files, and the filters the pages use.

Reader pages are Jinja2 rather than Django templates because an uncached port
page has some six hundred tags and variables: Jinja2 compiles a template to
Python once, where Django's engine walks a node tree on every render. The
admin stays on Django's engine.

Strings are marked `_("…", name=value)` (ngettext for plurals): Jinja2's
"new style" gettext formats the translation with the values escaped, and
`manage.py makemessages` (ports/management/commands/makemessages.py) reads
those calls into the catalogues.
"""

import html
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as localized_date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator, normalize_newlines
from django.utils.translation import (
    get_language,
    get_language_bidi,
    get_language_info,
    gettext,
    ngettext,
    override,
)
from jinja2 import Environment, StrictUndefined, Undefined, pass_context
from markupsafe import Markup, escape

from ports import languages
from ports.editorial.markdown import safe_link
from ports.reader import alternates, citing
from ports.reader.addresses import url
from ports.reader.feedback import prompt_texts
from ports.reader.structured_data import story_structured_data
from ports.registry.markup import registry_text


def environment(**options):
    # Strict in development and tests, so a misspelt name fails loudly;
    # production shows nothing for it, as Django's engine would.
    options["undefined"] = StrictUndefined if settings.DEBUG else Undefined
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(
        url=url,
        source_language_url=source_language_url,
        static=static_url,
        get_language=get_language,
        absolute_url=absolute_url,
        querystring=querystring,
        hreflang_links=hreflang_links,
        language_switcher_items=language_switcher_items,
        current_language_info=current_language_info,
        feedback_texts=feedback_texts,
        listening_commands=listening_commands,
        story_structured_data=story_structured_data,
        page_citations=page_citations,
        today=today,
    )
    env.filters.update(
        date=date,
        dir_attr=dir_attr,
        linebreaksbr=linebreaksbr,
        ltr=ltr,
        nested_toc=nested_toc,
        registry_text=registry_text,
        safe_url=safe_link,
        truncatechars=truncatechars,
    )
    return env


# URLs and addresses -------------------------------------------------------------


def source_language_url(name, *args):
    """The address of a reader page in English, the language stories are written in."""
    with override(languages.SOURCE_LANGUAGE):
        return url(name, *args)


def static_url(path):
    """A static file's URL (hashed name in production), found once per process."""
    return _static_url(path, get_script_prefix())


@lru_cache(maxsize=256)
def _static_url(path, _script_prefix):
    # The manifest of hashed names does not change while the process runs;
    # a relative STATIC_URL is under the script prefix, part of the key.
    return static(path)


@receiver(setting_changed)
def _static_settings_changed(setting, **kwargs):
    if setting in ("STORAGES", "STATIC_URL", "STATIC_ROOT"):  # tests change them
        _static_url.cache_clear()


@pass_context
def absolute_url(context, path=None):
    request = context["request"]
    return request.build_absolute_uri(path if path is not None else request.path)


def querystring(query, **changes):
    """`?a=1&page=2`: the listing's query with some parameters replaced."""
    params = {**query, **changes}
    params = {name: value for name, value in params.items() if value is not None}
    return f"?{urlencode(params, doseq=True)}" if params else ""


# Languages ------------------------------------------------------------------------


def current_language_info():
    return get_language_info(get_language())


def feedback_texts(prompt):
    """The feedback prompt's texts in the reader's language (ports.reader.feedback)."""
    return prompt_texts(prompt, get_language())


# The hreflang links and the switcher's items are written here rather than in
# a template loop: fourteen languages, each several attributes, were a tenth
# of a port page's rendering.


@pass_context
def hreflang_links(context):
    """
    `<link rel="alternate" hreflang>` for this page in every language, and
    English as x-default; nothing where the address is no page.
    """
    request = context.get("request")
    if request is None:
        return ""
    origin = str(escape(request.build_absolute_uri("/")[:-1]))
    lines = []
    for alternate in alternates.page_alternates(request):
        href = origin + str(escape(alternate.url))
        lines.append(
            f'<link rel="alternate" hreflang="{alternate.code}" href="{href}">'
        )
        if alternate.code == settings.LANGUAGE_CODE:
            lines.append(f'<link rel="alternate" hreflang="x-default" href="{href}">')
    return Markup("\n  ".join(lines))


def language_links(request):
    """The switcher's links: this page in every language, else each home page."""
    found = alternates.page_alternates(request) if request is not None else ()
    if found:
        return found
    links = []
    for code in languages.language_codes():
        info = get_language_info(code)
        with override(code):
            home = url("ports:home")
        links.append(alternates.Alternate(code, info["name_local"], home, info["bidi"]))
    return links


@pass_context
def language_switcher_items(context):
    """The switcher's list items, the reader's own language marked current."""
    current = get_language()
    items = []
    for link in language_links(context.get("request")):
        direction = "rtl" if link.bidi else "ltr"
        marked = ' aria-current="true"' if link.code == current else ""
        items.append(
            f'<li><a href="{escape(link.url)}" hreflang="{link.code}" '
            f'lang="{link.code}" dir="{direction}"{marked}>{escape(link.name)}</a></li>'
        )
    return Markup("\n    ".join(items))


@lru_cache(maxsize=64)
def _dir_attr(language, page_is_rtl):
    try:
        text = "rtl" if get_language_info(language)["bidi"] else "ltr"
    except KeyError:
        text = "ltr"
    if (text == "rtl") == page_is_rtl:
        return ""
    return format_html(' dir="{}"', text)


@pass_context
def dir_attr(context, language):
    """
    ` dir="…"` for text in `language` where its direction differs from the
    page's (English shown on an Arabic page), else nothing.
    """
    page_is_rtl = context.get("LANGUAGE_BIDI")
    if page_is_rtl is None:
        page_is_rtl = get_language_bidi()
    return _dir_attr(str(language), bool(page_is_rtl))


# Text -------------------------------------------------------------------------------


def date(value, arg="DATE_FORMAT"):
    """Django's `date` filter: a named format is localised, in local time."""
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if arg == "c":
        return value.isoformat()  # as Django's "c"
    if arg in DAY_FORMATS:  # the same text for every moment of a day
        day = value.date() if isinstance(value, datetime) else value
        return _day_text(get_language(), day, arg)
    if arg.isupper():  # the language's own format
        return localized_date_format(value, arg)
    return date_format(value, arg)


# Named formats that show the day only: their text depends on the day and
# the language, and a page shows the same few dates again and again.
DAY_FORMATS = ("DATE_FORMAT", "SHORT_DATE_FORMAT")


@lru_cache(maxsize=4096)
def _day_text(_language, day, arg):
    return localized_date_format(day, arg)


def ltr(value):
    """
    Text that reads left to right on any page: port numbers and ranges, whose
    en dash a right-to-left page would otherwise turn around (1023–0).
    """
    return Markup('<bdi dir="ltr">%s</bdi>') % value


def linebreaksbr(value):
    """Escaped text with its line breaks as <br>."""
    text = str(escape(value))  # markup (already escaped) is kept as it is
    return Markup(normalize_newlines(text).replace("\n", "<br>"))


def truncatechars(value, length):
    text = str(value)
    if len(text) <= length:  # nothing to cut (most summaries)
        return text
    return Truncator(text).chars(length)


def nested_toc(toc):
    """A flat table of contents (levels 2 and 3) as a two-level tree."""
    tree = []
    for entry in toc or []:
        item = {"id": entry["id"], "name": html.unescape(entry["name"]), "children": []}
        if entry["level"] > 2 and tree:
            tree[-1]["children"].append(item)
        else:
            tree.append(item)
    return tree


def today():
    return timezone.localdate()


def page_citations(page, permanent_url):
    """The citations of the story version a port page shows (ports.reader.citing)."""
    title = page.localized_story.title
    return citing.cite(
        title=str(title),
        url=permanent_url,
        port=page.number,
        version=page.version.number,
        published_at=page.version.published_at,
        language=title.language,
    )


def listening_commands(number):
    """Commands that show what listens on a port, per operating system."""
    return [
        {
            "system": "Linux",
            "commands": [
                {"label": "ss", "text": f"ss -ltnup 'sport = :{number}'"},
            ],
            "note": gettext("Add sudo to see the processes of other users."),
        },
        {
            "system": "macOS",
            "commands": [
                {"label": "TCP", "text": f"sudo lsof -nP -iTCP:{number} -sTCP:LISTEN"},
                {"label": "UDP", "text": f"sudo lsof -nP -iUDP:{number}"},
            ],
            "note": "",
        },
        {
            "system": "Windows",
            "commands": [
                {
                    "label": gettext("Command Prompt"),
                    "text": f"netstat -ano | findstr :{number}",
                },
                {
                    "label": "PowerShell TCP",
                    "text": f"Get-NetTCPConnection -LocalPort {number}",
                },
                {
                    "label": "PowerShell UDP",
                    "text": f"Get-NetUDPEndpoint -LocalPort {number}",
                },
            ],
            "note": gettext(
                "The last column of netstat is the process id; "
                "look it up in Task Manager."
            ),
        },
    ]
