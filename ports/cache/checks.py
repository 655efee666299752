"""System checks: front caches that could never be purged stop the start."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string


@register(Tags.caches)
def front_caches_check(app_configs, **kwargs):
    errors = []
    for options in settings.FRONT_CACHES:
        try:
            import_string(options["BACKEND"])
        except ImportError as error:
            errors.append(
                Error(
                    f"FRONT_CACHE_BACKEND {options['BACKEND']!r} cannot be "
                    f"imported: {error}",
                    hint="A dotted path to a subclass of ports.cache.front.FrontCache.",
                    id="ports.E001",
                )
            )
        location = urlsplit(options.get("LOCATION", ""))
        if location.scheme not in ("http", "https") or not location.netloc:
            errors.append(
                Error(
                    f"FRONT_CACHE_LOCATIONS: {options.get('LOCATION')!r} is not an "
                    "http:// or https:// address.",
                    hint="For example http://varnish:6081",
                    id="ports.E002",
                )
            )
    return errors
