"""schema.org JSON-LD for a port's story: an Article, and a FAQPage if it has FAQs."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ports.editorial.markdown import safe_link

_DATES = DjangoJSONEncoder()
# Inside <script>, these could end the element or start markup: JSON allows
# them escaped, as Django's json_script does.
_JSON_SCRIPT_ESCAPES = (
    ("<", "\\u003C"),
    (">", "\\u003E"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _json_ld(data):
    # Dates are written as Django's encoder writes them; the rest goes
    # through the json module's C encoder, which a custom encoder class turns off.
    text = json.dumps(data, ensure_ascii=False)
    for character, escaped in _JSON_SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return f'<script type="application/ld+json">{text}</script>'


def _citation(citation):
    work = {"@type": "CreativeWork", "name": citation["title"]}
    if url := safe_link(citation["url"]):
        work["url"] = url
    if citation["publisher"]:
        work["publisher"] = {"@type": "Organization", "name": citation["publisher"]}
    return work


def article_data(page, url):
    """schema.org Article for a port's story, with its sources as citations."""
    localized_story, story = page.localized_story, page.story
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": str(localized_story.title)[:110],
        "description": str(localized_story.summary),
        "inLanguage": localized_story.body_html.language,
        "url": url,
        "mainEntityOfPage": url,
        "isAccessibleForFree": True,
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        "about": {
            "@type": "Thing",
            "name": _("Network port %(number)s") % {"number": page.number},
        },
        "citation": [_citation(citation) for citation in localized_story.citations],
    }
    if story is not None and story.published_at:
        data["datePublished"] = _DATES.default(story.published_at)
    if story is not None and story.go_live_at:
        data["dateModified"] = _DATES.default(story.go_live_at)
    if page.version is not None:  # the published version shown
        data["version"] = str(page.version.number)
        data["dateModified"] = _DATES.default(page.version.published_at)
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
            for faq in page.localized_story.faqs
        ],
    }


def story_structured_data(page, url):
    """The page's JSON-LD blocks (its address is `url`); none without a story."""
    if page.localized_story is None:
        return ""
    blocks = [_json_ld(article_data(page, url))]
    if page.localized_story.faqs:
        blocks.append(_json_ld(faq_data(page)))
    return mark_safe("\n".join(blocks))  # noqa: S308 (JSON escaped for <script>)
