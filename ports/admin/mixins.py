from django.conf import settings
from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from ports.languages import language_label


def mark_language(db_field, formfield):
    """
    Tag a translated field's widget with its language (data-language), so
    the language switch shows one language's fields at a time.
    """
    language = getattr(db_field, "language", None)
    if formfield is not None and language is not None:
        widget = getattr(formfield.widget, "widget", formfield.widget)
        widget.attrs["data-language"] = language
    return formfield


class LanguageSwitchMixin:
    """
    Translated fields edited one language at a time: a switch above the form
    (static/js/language-switch.js) shows every translated field of the
    chosen language, in the main form and in its inlines (which need
    LanguageSwitchInlineMixin), and hides the others'.
    """

    change_form_template = "admin/translated_change_form.html"

    class Media:
        js = ("js/language-switch.js",)
        css = {"all": ("css/admin-forms.css",)}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return mark_language(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        context["edit_languages"] = [
            (code, language_label(code), name) for code, name in settings.LANGUAGES
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)


class LanguageSwitchInlineMixin:
    """An inline's translated fields, tagged for the parent's language switch."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return mark_language(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )


class HistoryAdminMixin:
    """
    Records that are history: listed and viewed, never added, edited or
    deleted in the admin, since changing them would rewrite what happened.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefusalReasonMixin:
    """The `reason` column of an import's list: why a refused file was refused."""

    @admin.display(description=_("reason"))
    def reason(self, obj):
        """A refused run's reason, as the importer was told; its page has all of it."""
        if obj.outcome != obj.Outcome.REFUSED:
            return ""
        return Truncator(obj.message.split("\n", 1)[0]).chars(120)
