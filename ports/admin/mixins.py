class TranslationTabsMixin:
    """
    Translated fields as one tab per language (django-modeltranslation's
    tabs), with jQuery UI's tabs widget served from this site.
    """

    class Media:
        js = (
            "admin/js/jquery.init.js",
            "modeltranslation/js/force_jquery.js",
            "vendor/jquery-ui/jquery-ui-tabs.js",
            "modeltranslation/js/tabbed_translation_fields.js",
        )
        css = {"all": ("modeltranslation/css/tabbed_translation_fields.css",)}


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
