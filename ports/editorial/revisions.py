"""
Snapshots of a story, and reading them back for a page in one language.

A revision's content holds every language of the story's translated fields,
its citations, FAQs, related ports and the port's known uses, and the body
already rendered to HTML, so a live page needs no Markdown work and no joins
to show a story.
"""

from dataclasses import dataclass
from datetime import datetime

from modeltranslation.utils import build_localized_fieldname

from ports.choices import KnownUseKind
from ports.editorial.markdown import render_markdown
from ports.languages import (
    SOURCE_LANGUAGE,
    ascii_digits,
    ascii_digits_html,
    language_codes,
)


def _translations(instance, field_name):
    values = {}
    for code in language_codes():
        value = getattr(instance, build_localized_fieldname(field_name, code), "") or ""
        if value:
            values[code] = value
    return values


def story_snapshot(story, parts: dict | None = None) -> dict:
    """
    The content of a story and its parts as a JSON-serialisable dict.

    `parts` holds unsaved parts by their related name ("citations", "faqs",
    …), for a story built in memory from a form: none are read from the
    database then, and they are put in the order saved ones are read in.
    """

    def rows(name, *ordering):
        if parts is None:
            return getattr(story, name).order_by(*ordering)
        # A new row (no id yet) comes after saved ones at the same place.
        return sorted(
            parts.get(name, ()),
            key=lambda row: [
                (getattr(row, field) is None, getattr(row, field) or 0)
                for field in ordering
            ],
        )

    bodies = _translations(story, "body")
    rendered = {code: render_markdown(text) for code, text in bodies.items()}
    return {
        "port": story.port_id,
        "title": _translations(story, "title"),
        "summary": _translations(story, "summary"),
        "body": bodies,
        "body_html": {code: html for code, (html, _toc) in rendered.items()},
        "toc": {code: toc for code, (_html, toc) in rendered.items()},
        "citations": [
            {
                "number": citation.position,
                "title": citation.title,
                "publisher": citation.publisher,
                "url": citation.url,
                "accessed_on": citation.accessed_on.isoformat()
                if citation.accessed_on
                else "",
                "note": citation.note,
            }
            for citation in rows("citations", "position")
        ],
        "faqs": [
            {
                "question": _translations(faq, "question"),
                "answer": _translations(faq, "answer"),
            }
            for faq in rows("faqs", "position", "id")
        ],
        "related": [
            {"port": related.port_id, "note": _translations(related, "note")}
            for related in rows("related_ports", "position", "port_id")
        ],
        "edited_at": edited_at(story),
        "known_uses": [
            {
                "kind": use.kind,
                "name": use.name,
                "description": use.description,
                "source_title": use.source_title,
                "source_url": use.source_url,
            }
            for use in rows("known_uses", "position", "id")
        ],
    }


def edited_at(story) -> dict:
    """
    When each language of the story's title, summary and body was last
    edited, as ISO times: a reader's page compares its language with English.
    """
    stamps = story.translation_edited_at or {}
    times = {}
    for code in language_codes():
        edits = [
            stamps.get(build_localized_fieldname(field, code))
            for field in ("title", "summary", "body")
        ]
        if edits := [edit for edit in edits if edit]:
            times[code] = max(edits, key=datetime.fromisoformat)
    return times


def same_content(old: dict, new: dict) -> bool:
    """
    Whether two versions say the same to readers: edit times aside, and with
    the parts versions saved before them lack taken as empty.
    """

    def comparable(content):
        return {"known_uses": [], **content, "edited_at": None}

    return comparable(old) == comparable(new)


def related_ports_sql(vendor: str, content: str = "r.content") -> tuple[str, str]:
    """
    A FROM item unnesting a version's related ports (`content` is its JSON)
    as `item`, and the expression of each one's port number, as each
    database can: PostgreSQL's jsonb functions, SQLite's json_each.
    """
    if vendor == "postgresql":
        return (
            f"jsonb_array_elements({content} -> 'related') AS item",
            "(item ->> 'port')::integer",
        )
    return (
        f"json_each({content}, '$.related') AS item",
        "json_extract(item.value, '$.port')",
    )


@dataclass(frozen=True)
class Localized:
    """A translated value and the language it is actually in."""

    text: str
    language: str

    def __str__(self):
        return self.text

    def __bool__(self):
        return bool(self.text)


def localize(values: dict, language: str, *, html=False) -> Localized:
    """
    The value in `language`, falling back to English where not translated,
    its numbers in the digits 0–9 (ports.languages.ascii_digits).
    """
    code = language if values.get(language) else SOURCE_LANGUAGE
    value = values.get(code, "")
    return Localized(ascii_digits_html(value) if html else ascii_digits(value), code)


@dataclass
class LocalizedStory:
    """A story as readers see it in one language, built from a revision."""

    title: Localized
    summary: Localized
    body_html: Localized
    toc: list
    citations: list
    faqs: list
    related: list
    known_uses: list
    # When the shown translation was last edited, if the English it follows
    # was edited after it; None for English and current translations.
    outdated_since: datetime | None = None

    @classmethod
    def from_content(cls, content: dict, language: str):
        body_html = localize(content["body_html"], language, html=True)
        return cls(
            title=localize(content["title"], language),
            summary=localize(content["summary"], language),
            body_html=body_html,
            toc=[
                {**entry, "name": ascii_digits(entry["name"])}
                for entry in content["toc"].get(body_html.language, [])
            ],
            citations=content["citations"],
            faqs=[
                {
                    "question": localize(faq["question"], language),
                    "answer": localize(faq["answer"], language),
                }
                for faq in content["faqs"]
            ],
            related=[
                {"port": item["port"], "note": localize(item["note"], language)}
                for item in content["related"]
            ],
            # Versions saved before known uses were part of stories have none.
            known_uses=[
                {**use, "kind_label": KnownUseKind(use["kind"]).label}
                for use in content.get("known_uses", [])
            ],
            outdated_since=_outdated_since(content, body_html.language),
        )


def _outdated_since(content: dict, language: str) -> datetime | None:
    """
    When the translation in `language` was last edited, if the English was
    edited after it. Versions saved before edit times were kept say nothing.
    """
    if language == SOURCE_LANGUAGE:
        return None
    times = content.get("edited_at", {})
    translated, english = times.get(language), times.get(SOURCE_LANGUAGE)
    if not (translated and english):
        return None
    translated_at = datetime.fromisoformat(translated)
    return translated_at if datetime.fromisoformat(english) > translated_at else None
