"""
The site's languages: compiling message catalogues, a page's addresses in
every language, and when each language of a translated field was last edited
(which tells editors that a translation is older than the English it follows).
"""

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import polib
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve, translate_url
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import (
    get_language_from_path,
    get_language_info,
)
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

SOURCE_LANGUAGE = "en"
# The app whose pages live under the language prefixes (portwiki.urls).
READER_APP = "ports"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


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


# A page in other languages ----------------------------------------------------


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str
    url: str
    bidi: bool


def page_alternates(request) -> list[Alternate]:
    """
    This page's path in every language, or nothing where the path is no page
    (a 404 has no translations to point to).
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
        try:
            match = resolve(request.path_info, urlconf)
        except Resolver404:
            return []
    return list(_alternates(request.path_info, request.path, match.app_name))


@lru_cache(maxsize=1)
def _languages() -> tuple:
    """(code, local name, right to left, address prefix) of each language."""
    return tuple(
        (
            code,
            info["name_local"],
            info["bidi"],
            "" if code == settings.LANGUAGE_CODE else f"/{code}",
        )
        for code in language_codes()
        for info in [get_language_info(code)]
    )


@receiver(setting_changed)
def _language_settings_changed(setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE"):  # tests may change them
        _languages.cache_clear()
        _alternates.cache_clear()


# Each page asks twice (hreflang links, the switcher). The reader pages'
# patterns are not translated, so a page's address in another language is
# its address under that language's prefix, where translate_url() would
# resolve and reverse once per language (a third of an uncached port page).
@lru_cache(maxsize=4096)
def _alternates(path_info, path, app_name) -> tuple[Alternate, ...]:
    if app_name != READER_APP:  # not under the language prefixes
        return tuple(
            Alternate(code, name, translate_url(path, code), bidi)
            for code, name, bidi, _prefix in _languages()
        )
    script_prefix = escape_uri_path(path[: len(path) - len(path_info)])
    # get_language_from_path() also answers for a variant (/de-at/ gives
    # de): only the language's own prefix is taken off.
    own = f"/{get_language_from_path(path_info)}/"
    rest = path_info[len(own) - 1 :] if path_info.startswith(own) else path_info
    rest = escape_uri_path(rest)
    return tuple(
        Alternate(code, name, script_prefix + prefix + rest, bidi)
        for code, name, bidi, prefix in _languages()
    )


# When each language of a translated field was last edited --------------------


def translated_field_names(model) -> tuple[str, ...]:
    """The model's translated fields, in the model's order."""
    translated = translator.get_options_for_model(model).fields
    return tuple(f.name for f in model._meta.concrete_fields if f.name in translated)


def localized_values(instance, *, only=None) -> dict[str, str]:
    """{"title_en": …, "title_ja": …} for the instance's loaded translation fields."""
    values = {}
    deferred = instance.get_deferred_fields()
    for field_name in translated_field_names(type(instance)):
        for code in language_codes():
            name = build_localized_fieldname(field_name, code)
            if name in deferred or (only is not None and name not in only):
                continue
            values[name] = getattr(instance, name, "") or ""
    return values


def stamp_translation_edits(instance, *, previous: dict | None, now=None) -> bool:
    """
    Record `now` in `instance.translation_edited_at` for every translation
    field (e.g. "body_fr") whose value differs from `previous`, the values it
    was loaded with (None for a new object: every filled field counts as
    edited). Fields never loaded and not set are left alone. Returns whether
    anything was recorded.
    """
    now = (now or timezone.now()).isoformat()
    stamps = dict(instance.translation_edited_at or {})
    changed = False
    for name, value in localized_values(instance).items():
        if previous is None:
            edited = bool(value)
        elif name in previous:
            edited = previous[name] != value
        else:
            edited = True  # set after a deferred load: its old value is unknown
        if edited:
            stamps[name] = now
            changed = True
    if changed:
        instance.translation_edited_at = stamps
    return changed


def _stamp(stamps: dict, name: str) -> datetime | None:
    value = stamps.get(name)
    return datetime.fromisoformat(value) if value else None


@dataclass
class LanguageGaps:
    """What one object lacks in one language: fields missing or out of date."""

    missing: list
    outdated: list
    # How many fields have English text to translate.
    source_fields: int = 0

    def __bool__(self):
        return bool(self.missing or self.outdated)

    @property
    def untranslated(self) -> bool:
        """Nothing translated at all: every field with English is missing."""
        return bool(self.missing) and len(self.missing) == self.source_fields


def translation_gaps(instance, *, label_prefix="") -> dict[str, LanguageGaps]:
    """
    Per language other than English: the translated fields that are empty
    where the English is not (missing), and those whose English was edited
    after the translation was (out of date). A translation edited before edit
    times were recorded counts as older than any recorded English edit.
    """
    stamps = instance.translation_edited_at or {}
    gaps = {}
    fields = translated_field_names(type(instance))
    for code in translation_languages():
        missing, outdated, source_fields = [], [], 0
        for field_name in fields:
            english = getattr(instance, build_localized_fieldname(field_name, "en"))
            if not english:
                continue
            source_fields += 1
            name = build_localized_fieldname(field_name, code)
            label = f"{label_prefix}{instance._meta.get_field(field_name).verbose_name}"
            if not getattr(instance, name):
                missing.append(label)
                continue
            english_at = _stamp(stamps, build_localized_fieldname(field_name, "en"))
            translated_at = _stamp(stamps, name)
            if english_at and (translated_at is None or english_at > translated_at):
                outdated.append(label)
        gaps[code] = LanguageGaps(missing, outdated, source_fields)
    return gaps


def merge_gaps(*parts: dict[str, LanguageGaps]) -> dict[str, LanguageGaps]:
    merged = {code: LanguageGaps([], []) for code in translation_languages()}
    for part in parts:
        for code, gaps in part.items():
            merged[code].missing.extend(gaps.missing)
            merged[code].outdated.extend(gaps.outdated)
            merged[code].source_fields += gaps.source_fields
    return merged
