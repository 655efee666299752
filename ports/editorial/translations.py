"""
When each language of a translated field was last edited, and what each
object lacks per language: a translation is out of date when the English it
follows was edited after it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

from ports.languages import SOURCE_LANGUAGE, language_codes, translation_languages


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
            english = getattr(
                instance, build_localized_fieldname(field_name, SOURCE_LANGUAGE)
            )
            if not english:
                continue
            source_fields += 1
            name = build_localized_fieldname(field_name, code)
            label = f"{label_prefix}{instance._meta.get_field(field_name).verbose_name}"
            if not getattr(instance, name):
                missing.append(label)
                continue
            english_at = _stamp(
                stamps, build_localized_fieldname(field_name, SOURCE_LANGUAGE)
            )
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
