"""IANA's registry text for readers: escaped, with its bracketed items marked up."""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

_BRACKETED_RE = re.compile(r"\[([^\[\]]+)\]")
_RFC_RE = re.compile(r"^RFC(\d{1,5})$", re.IGNORECASE)


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
            number = rfc[1]  # digits only
            parts.append(
                f'<a href="https://www.rfc-editor.org/rfc/rfc{number}" '
                f'rel="noopener noreferrer">RFC {number}</a>'
            )
        else:
            # The string outside the f-string: xgettext does not read into one.
            title = escape(_("IANA contact handle"))
            parts.append(f'<span class="handle" title="{title}">{escape(item)}</span>')
        position = match.end()
    parts.append(escape(value[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped)
