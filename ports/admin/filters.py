"""List filters shared by admin modules."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class RegistryChangedFilter(admin.SimpleListFilter):
    """
    Stories whose port's registry facts changed after the story was last
    reviewed (or ever, if it never was): StoryQuerySet.registry_changed().
    """

    title = _("registry")
    parameter_name = "registry_changed"

    def lookups(self, request, model_admin):
        return (
            ("yes", _("Registry changed since review")),
            ("no", _("No registry change since review")),
        )

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.registry_changed()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.registry_changed().values("pk"))
        return queryset
