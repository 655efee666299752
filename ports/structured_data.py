"""schema.org JSON-LD for a port's story: an Article, and a FAQPage if it has FAQs."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .rendering import safe_link

_DATES = DjangoJSONEncoder()
# Inside <script>, these could end the element or start markup: JSON allows
# them escaped, as Django's json_script does.
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
}


def _json_ld(data):
    # Dates are written as Django's encoder writes them; the rest goes
    # through the json module's C encoder, which a custom encoder class turns off.
    text = json.dumps(data, ensure_ascii=False)
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
        data["datePublished"] = _DATES.default(story.published_at)
    if story is not None and story.go_live_at:
        data["dateModified"] = _DATES.default(story.go_live_at)
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


def story_structured_data(page, url):
    """The page's JSON-LD blocks (its address is `url`); none without a story."""
    if page.story_page is None:
        return ""
    blocks = [_json_ld(article_data(page, url))]
    if page.story_page.faqs:
        blocks.append(_json_ld(faq_data(page)))
    return mark_safe("\n".join(blocks))  # noqa: S308 (built by format_html)
