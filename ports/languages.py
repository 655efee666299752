"""
The site's languages: the one stories are written in, the others readers
read, and their message catalogues compiled.
"""

import os
import re
import tempfile
from pathlib import Path

import polib
from django.conf import settings

# The language every story is written in first; the others translate it,
# and readers see it wherever a translation is missing.
SOURCE_LANGUAGE = "en"


# Arabic-Indic and Extended Arabic-Indic (Persian, Pashto) digits, as
# translators may write them, and the digits 0–9 readers type port numbers
# and commands with.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_HTML_TEXT_RE = re.compile(r"(?:^|>)[^<]+")


def ascii_digits(text: str) -> str:
    """
    `text` with every number in the digits 0–9. A page shows numbers one way
    in every language: the site's own numbers (ports, ranges, dates) are 0–9,
    as port numbers are typed in firewalls and commands, so a translator's
    ۳۷۳ reads 373 beside them.
    """
    return text.translate(_DIGITS)


def ascii_digits_html(html: str) -> str:
    """ascii_digits() of an HTML fragment's text, its tags and attributes untouched."""
    return _HTML_TEXT_RE.sub(lambda match: ascii_digits(match[0]), html)


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_label(code: str) -> str:
    """
    A language as editors see it beside a field or in a switch: its code as
    LANGUAGES has it, in capitals ("ID", "PT-BR"), never modeltranslation's
    "ind", the suffix it gives Indonesian fields only to avoid "_id".
    """
    return ("id" if code == "ind" else code).upper()


def translation_languages() -> list[str]:
    """Every language but English, the one stories are written in."""
    return [code for code in language_codes() if code != SOURCE_LANGUAGE]


# Message catalogues -----------------------------------------------------------


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def compile_catalogues(*, directory: Path | None = None, force=False) -> list[Path]:
    """
    Compile each locale/<language>/LC_MESSAGES/*.po whose .mo is missing or
    older, in Python, so that a machine without gettext can set up the site.
    Django only recognises a language it has a compiled catalogue for (Pashto
    has none of its own), so the site needs these before it serves anything.
    Fuzzy entries are left out, as msgfmt does. Returns the files written.
    """
    written = []
    for po_path in sorted((directory or locale_dir()).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if (
            not force
            and mo_path.exists()
            and mo_path.stat().st_mtime >= po_path.stat().st_mtime
        ):
            continue
        catalogue = polib.pofile(str(po_path))
        # Written beside the target and renamed: a server or test run reading
        # the catalogue meanwhile sees the old file or the new one, never half.
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        os.close(handle)
        try:
            catalogue.save_as_mofile(temporary)
            os.replace(temporary, mo_path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        written.append(mo_path)
    return written
