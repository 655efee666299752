"""Template tags for the site's languages: alternates, the switcher, text direction."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import (
    get_language,
    get_language_bidi,
    get_language_info,
    override,
)

from .. import i18n

register = template.Library()


def _absolute(request, alternates):
    return [
        i18n.Alternate(a.code, a.name, request.build_absolute_uri(a.url), a.bidi)
        for a in alternates
    ]


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """This page in every language, as absolute URLs (for hreflang links)."""
    request = context.get("request")
    if request is None:
        return []
    return _absolute(request, i18n.page_alternates(request))


@register.simple_tag(takes_context=True)
def language_links(context):
    """The switcher's links: this page in every language, else each home page."""
    request = context.get("request")
    if request is None:
        return []
    alternates = i18n.page_alternates(request)
    if alternates:
        return alternates
    links = []
    for code in i18n.language_codes():
        info = get_language_info(code)
        with override(code):
            url = reverse("ports:home")
        links.append(i18n.Alternate(code, info["name_local"], url, info["bidi"]))
    return links


@register.filter
def text_dir(language):
    """ "rtl" or "ltr": the direction of text in this language."""
    try:
        return "rtl" if get_language_info(str(language))["bidi"] else "ltr"
    except KeyError:
        return "ltr"


@register.filter
def dir_attr(language):
    """
    ` dir="…"` for text in `language` where its direction differs from the
    page's (English shown on an Arabic page), else nothing.
    """
    page_is_rtl = get_language_bidi()
    text = text_dir(language)
    if (text == "rtl") == page_is_rtl:
        return ""
    return format_html(' dir="{}"', text)


@register.simple_tag
def feedback_texts(prompt):
    """The feedback prompt's texts in the reader's language (ports.feedback)."""
    from ..feedback import prompt_texts

    return prompt_texts(prompt, get_language())
