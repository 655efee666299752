"""Admin registrations, one module per area of the site."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ports.admin import feedback, observed, registry, stories  # noqa: F401

admin.site.site_header = "portwiki"
admin.site.site_title = _("portwiki admin")
admin.site.index_title = _("Editorial desk")
