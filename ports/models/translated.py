"""The translation edit times every translated model keeps."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ports.editorial import translations


class TranslationEdits(models.Model):
    """
    Remembers when each language of each translated field was last edited,
    so that a translation older than the English it follows can be flagged.
    Kept on save by comparing with the values the object was loaded with.
    """

    # {"body_en": "2025-03-28T09:00:00+00:00", "body_fr": …}
    translation_edited_at = models.JSONField(
        _("translations last edited"), default=dict, blank=True, editable=False
    )

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_translations = translations.localized_values(instance)
        return instance

    def save(self, *args, **kwargs):
        previous = None if self._state.adding else self._loaded_translations_or_db()
        if translations.stamp_translation_edits(self, previous=previous):
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "translation_edited_at"}
        super().save(*args, **kwargs)
        self._loaded_translations = translations.localized_values(self)

    def _loaded_translations_or_db(self):
        loaded = getattr(self, "_loaded_translations", None)
        if loaded is None:
            # Built by hand with a primary key (not loaded): compare with the row.
            row = type(self)._base_manager.filter(pk=self.pk).first()
            loaded = translations.localized_values(row) if row is not None else None
        return loaded
