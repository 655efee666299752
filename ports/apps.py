from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ports"
    verbose_name = _("Ports")

    def ready(self):
        # The caches' receivers (purges for what editors and imports change)
        # and their system checks; the open data's downloads, written again
        # after changes; reader search's registry entries, read again.
        from ports.api import receivers as open_data_receivers  # noqa: F401
        from ports.cache import checks, receivers  # noqa: F401
        from ports.reader import receivers as search_receivers  # noqa: F401
