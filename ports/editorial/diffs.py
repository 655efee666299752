"""
Readable differences between two story revisions.

Text is compared word by word (difflib over words and the whitespace between
them) and rendered with <del>/<ins> around what changed; every piece of text
is escaped, so a revision's content can never inject markup into the admin.
Citations, FAQs, related ports and known uses are compared as lines of text.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ports.choices import KnownUseKind

TOKEN_RE = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldDiff:
    label: str
    html: SafeString
    changed: bool


def word_diff(old: str, new: str) -> SafeString:
    """`new` against `old`, with removed words in <del> and added ones in <ins>."""
    a, b = TOKEN_RE.findall(old), TOKEN_RE.findall(new)
    parts = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


def _citation_lines(content: dict) -> str:
    lines = []
    for citation in content.get("citations", []):
        details = [citation["title"], citation["publisher"], citation["url"]]
        if citation["accessed_on"]:
            details.append(_("accessed %(date)s") % {"date": citation["accessed_on"]})
        details.append(citation["note"])
        lines.append(f"[{citation['number']}] " + " — ".join(d for d in details if d))
    return "\n".join(lines)


def _faq_lines(content: dict, language: str) -> str:
    lines = []
    for faq in content.get("faqs", []):
        question = faq["question"].get(language, "")
        answer = faq["answer"].get(language, "")
        if question or answer:
            lines.append(f"Q: {question}\nA: {answer}")
    return "\n\n".join(lines)


def _related_lines(content: dict) -> str:
    lines = []
    for item in content.get("related", []):
        notes = "".join(f" [{code}] {note}" for code, note in item["note"].items())
        lines.append(_("Port %(number)s") % {"number": item["port"]} + notes)
    return "\n".join(lines)


def _known_use_lines(content: dict) -> str:
    lines = []
    for use in content.get("known_uses", []):
        details = [use["name"], use["description"]]
        source = f"({use['source_title']}, {use['source_url']})"
        label = KnownUseKind(use["kind"]).label
        lines.append(f"{label}: " + " — ".join(d for d in details if d) + f" {source}")
    return "\n".join(lines)


def revision_diff(old: dict, new: dict) -> list[FieldDiff]:
    """
    Every part of two revisions' content, side by side as one diff each.

    Translated fields are compared per language, for the languages either
    revision has text in.
    """
    diffs = []

    def add(label, before, after):
        if before or after:
            diffs.append(FieldDiff(label, word_diff(before, after), before != after))

    languages = settings.LANGUAGES
    for field, label in (
        ("title", _("Title")),
        ("summary", _("Summary")),
        ("body", _("Body")),
    ):
        for code, name in languages:
            add(
                f"{label} ({name})",
                old.get(field, {}).get(code, ""),
                new.get(field, {}).get(code, ""),
            )
    add(_("Citations"), _citation_lines(old), _citation_lines(new))
    for code, name in languages:
        add(f"{_('FAQs')} ({name})", _faq_lines(old, code), _faq_lines(new, code))
    add(_("Related ports"), _related_lines(old), _related_lines(new))
    add(_("Known uses"), _known_use_lines(old), _known_use_lines(new))
    return diffs
