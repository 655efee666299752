"""
Story Markdown to safe HTML.

Markdown renders first; nh3 (the Rust ammonia sanitizer) then keeps only the
tags, attributes and URL schemes listed here, so raw HTML, scripts, event
handlers and javascript: links in a body never reach a reader. Footnote
markers such as [^2] become links to the story's numbered sources.
"""

import re
import xml.etree.ElementTree as etree
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

FOOTNOTE_MARKER_RE = re.compile(r"\[\^(\d{1,3})\]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre",
    "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class", "id"},
    "abbr": {"title"},
    "sup": {"id", "class"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def safe_link(url: str) -> str:
    """
    The URL if a reader may follow it (http, https, mailto), else "": a stored
    javascript: or data: address is shown as text, never as a link.
    """
    url = (url or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in URL_SCHEMES else ""


def citation_anchor(number):
    return f"source-{number}"


def marker_anchor(number, occurrence):
    return f"cite-{number}-{occurrence}"


class FootnoteMarkerProcessor(InlineProcessor):
    """[^n] → <sup><a href="#source-n">[n]</a></sup>, with a back-link target."""

    def __init__(self, pattern, md):
        super().__init__(pattern, md)
        self.seen = {}

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        number = int(m.group(1))
        self.seen[number] = self.seen.get(number, 0) + 1
        sup = etree.Element("sup", {"id": marker_anchor(number, self.seen[number])})
        link = etree.SubElement(
            sup, "a", {"href": f"#{citation_anchor(number)}", "class": "footnote-ref"}
        )
        link.text = f"[{number}]"
        return sup, m.start(0), m.end(0)


class DemoteTitleHeadings(Treeprocessor):
    """The page's only h1 is the story's title, so body headings start at h2."""

    def run(self, root):
        for element in root.iter("h1"):
            element.tag = "h2"


class FootnoteMarkerExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API)
        # Before the table of contents (priority 5) collects the headings.
        md.treeprocessors.register(DemoteTitleHeadings(md), "demote_title_headings", 10)
        # Above links (160) so that [^1] is never read as a link reference.
        md.inlinePatterns.register(
            FootnoteMarkerProcessor(FOOTNOTE_MARKER_RE.pattern, md),
            "footnote_marker",
            175,
        )


def _markdown():
    return markdown.Markdown(
        extensions=[
            FootnoteMarkerExtension(),
            "fenced_code",
            "tables",
            "sane_lists",
            "toc",
        ],
        extension_configs={
            "toc": {"toc_depth": "2-3", "permalink": False},
            # Column alignment as the align attribute, which sanitizing keeps
            # (a style attribute it would drop).
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_unsanitized(text: str) -> str:
    """The body's HTML before sanitizing (ports.editorial.markup_check reads it)."""
    return _markdown().convert(text)


def render_markdown(text: str) -> tuple[str, list[dict]]:
    """
    Render a story body: (sanitized HTML, table of contents).

    The table of contents is a flat list of {"id", "name", "level"} for the
    body's level-2 and level-3 headings.
    """
    md = _markdown()
    html = sanitize(md.convert(text))
    toc = []

    def walk(tokens):
        for token in tokens:
            toc.append(
                {"id": token["id"], "name": token["name"], "level": token["level"]}
            )
            walk(token["children"])

    walk(md.toc_tokens)
    return html, toc


def footnote_numbers(text: str) -> set[int]:
    """The citation numbers a body's footnote markers refer to."""
    return {int(number) for number in FOOTNOTE_MARKER_RE.findall(text)}
