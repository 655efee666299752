"""Template tags of the reader site: registry text, commands, structured data."""

import html
import json
import re

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from ..caching import CSRF_PLACEHOLDER
from ..rendering import safe_link

register = template.Library()

_BRACKETED_RE = re.compile(r"\[([^\[\]]+)\]")
_RFC_RE = re.compile(r"^RFC(\d{1,5})$", re.IGNORECASE)
# Inside <script>, these could end the element or start markup: JSON allows
# them escaped, as Django's json_script does.
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
}


@register.filter
def registry_text(value):
    """
    Registry text, escaped, with IANA's bracketed items marked up: [RFC6335]
    links to the RFC, [Stephen_Gildea] is shown as the contact handle it is.
    """
    if not value:
        return ""
    parts = []
    position = 0
    for match in _BRACKETED_RE.finditer(value):
        parts.append(escape(value[position : match.start()]))
        item = match[1].strip()
        if rfc := _RFC_RE.match(item):
            parts.append(
                format_html(
                    '<a href="https://www.rfc-editor.org/rfc/rfc{}" '
                    'rel="noopener noreferrer">RFC {}</a>',
                    rfc[1],
                    rfc[1],
                )
            )
        else:
            parts.append(
                format_html(
                    '<span class="handle" title="{}">{}</span>',
                    _("IANA contact handle"),
                    item,
                )
            )
        position = match.end()
    parts.append(escape(value[position:]))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 (escaped)


@register.filter
def safe_url(value):
    """A stored address if readers may follow it (http, https, mailto), else ""."""
    return safe_link(value)


@register.simple_tag(takes_context=True)
def absolute_url(context, path=None):
    request = context["request"]
    return request.build_absolute_uri(path if path is not None else request.path)


@register.simple_tag(takes_context=True)
def csrf_field(context):
    """
    The CSRF input. Cacheable pages carry a placeholder that ports.caching
    replaces with each reader's own token; other renderings get the token.
    """
    if context.get("csrf_placeholder"):
        token = CSRF_PLACEHOLDER
    else:
        token = context.get("csrf_token") or ""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
    )


@register.filter
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


@register.simple_tag
def listening_commands(number):
    """Commands that show what listens on a port, per operating system."""
    return [
        {
            "system": "Linux",
            "commands": [
                {"label": "ss", "text": f"ss -ltnup 'sport = :{number}'"},
            ],
            "note": _("Add sudo to see the processes of other users."),
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
                    "label": _("Command Prompt"),
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
            "note": _(
                "The last column of netstat is the process id; "
                "look it up in Task Manager."
            ),
        },
    ]


@register.filter
def translated_language(instance, field_name):
    """The language a modeltranslation field is shown in, after fallback."""
    language = get_language() or settings.LANGUAGE_CODE
    if getattr(instance, build_localized_fieldname(field_name, language), ""):
        return language
    return settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def _json_ld(data):
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 (escaped)
    )


def article_data(page, url):
    """schema.org Article for a port's story, with its sources as citations."""
    story_page, story = page.story_page, page.story
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": str(story_page.title)[:110],
        "description": str(story_page.summary),
        "inLanguage": story_page.body_html.language,
        "url": url,
        "mainEntityOfPage": url,
        "isAccessibleForFree": True,
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        "about": {
            "@type": "Thing",
            "name": _("Network port %(number)s") % {"number": page.number},
        },
        "citation": [
            {
                "@type": "CreativeWork",
                "name": citation["title"],
                **(
                    {"url": safe_link(citation["url"])}
                    if safe_link(citation["url"])
                    else {}
                ),
                **(
                    {
                        "publisher": {
                            "@type": "Organization",
                            "name": citation["publisher"],
                        }
                    }
                    if citation["publisher"]
                    else {}
                ),
            }
            for citation in story_page.citations
        ],
    }
    if story is not None and story.published_at:
        data["datePublished"] = story.published_at
    if story is not None and story.go_live_at:
        data["dateModified"] = story.go_live_at
    return data


def faq_data(page):
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": str(faq["question"]),
                "acceptedAnswer": {"@type": "Answer", "text": str(faq["answer"])},
            }
            for faq in page.story_page.faqs
        ],
    }


@register.simple_tag(takes_context=True)
def story_structured_data(context, page):
    """JSON-LD for a port's story: an Article, and a FAQPage if it has FAQs."""
    if page.story_page is None:
        return ""
    url = context["request"].build_absolute_uri(
        reverse("ports:port-detail", args=[page.number])
    )
    blocks = [_json_ld(article_data(page, url))]
    if page.story_page.faqs:
        blocks.append(_json_ld(faq_data(page)))
    return mark_safe("\n".join(blocks))  # noqa: S308 (built by format_html)
