"""
What sanitizing takes out of a story body, told to the editor who wrote it.

ports.editorial.markdown keeps only the tags, attributes and link schemes
readers may get. This reads the body's rendered HTML before that, and names
each thing the sanitizer will drop or neutralise, with the reason, so that
the editor learns of it on saving and in the preview instead of finding it
silently gone.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from ports.editorial.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    render_unsanitized,
)

# Elements whose content goes with them, not only their tags.
ACTIVE_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "noscript"}
LINK_ATTRIBUTES = {"href", "src"}


def _shorten(text: str, length: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else f"{text[: length - 1]}…"


class _Findings(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def add(self, message):
        if message not in self.found:
            self.found.append(message)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.add(
                _("The image “%(source)s” was removed: stories show no images.")
                % {"source": _shorten(attrs.get("src") or attrs.get("alt") or "")}
            )
        elif tag in ACTIVE_CONTENT:
            self.add(
                _(
                    "<%(tag)s> was removed with its content: scripts, styles, "
                    "frames and forms never reach readers."
                )
                % {"tag": tag}
            )
        elif tag not in ALLOWED_TAGS:
            self.add(
                _(
                    "The HTML tag <%(tag)s> was removed (its text is kept): "
                    "write the formatting in Markdown."
                )
                % {"tag": tag}
            )
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs.items():
            if tag not in ALLOWED_TAGS:
                break
            if name in LINK_ATTRIBUTES and name in allowed:
                scheme = urlsplit(value or "").scheme.lower()
                if scheme and scheme not in URL_SCHEMES:
                    self.add(
                        _(
                            "The link to “%(url)s” was removed: only http(s) and "
                            "mailto links are allowed."
                        )
                        % {"url": _shorten(value)}
                    )
            elif name not in allowed:
                self.add(
                    _("The attribute %(name)s on <%(tag)s> was removed.")
                    % {"name": name, "tag": tag}
                )

    def handle_comment(self, data):
        self.add(_("An HTML comment was removed: comments are not published."))


def removed_markup(text: str) -> list[str]:
    """What readers will not get of this Markdown body, one message each."""
    if not text:
        return []
    findings = _Findings()
    findings.feed(render_unsanitized(text))
    findings.close()
    return findings.found
