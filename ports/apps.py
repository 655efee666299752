from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ports"
    verbose_name = _("Ports")

    def ready(self):
        # Purges for the few models editors change outside the workflow
        # services (feedback prompt, known uses).
        from ports.cache import receivers  # noqa: F401
