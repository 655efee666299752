"""Admin registrations, one module per area of the site."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ports.admin import (  # noqa: F401
    feedback,
    observed,
    registry,
    search_tuning,
    stories,
)

admin.site.site_header = "portwiki"
admin.site.site_title = _("portwiki admin")
admin.site.index_title = _("Editorial desk")
