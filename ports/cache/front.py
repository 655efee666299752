"""
Caches in front of the site (a CDN, Varnish), told to drop what a change
touched.

FRONT_CACHES in settings lists them, each a backend class and its options
(README, Deployment): none by default. A backend has a `name` that says
which cache it is and `purge(tags)`, which raises when the cache did not
confirm the purge. Varnish is built in; for a CDN, subclass FrontCache and
call its purge-by-tag API (Fastly's surrogate keys, Cloudflare's cache tags,
Akamai's edge cache tags all take the tags of Surrogate-Key).
"""

import urllib.request
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

DEFAULT_TIMEOUT = 1.0


class PurgeFailed(Exception):
    pass


class FrontCache:
    name = ""

    def purge(self, tags: list[str]) -> None:
        raise NotImplementedError


class Varnish(FrontCache):
    """
    Varnish with the xkey module, as deploy/varnish/portwiki.vcl sets it up:
    `PURGE /` with the tags in an `xkey-purge` header drops every object
    tagged with any of them.
    """

    # Tags per request, well inside Varnish's 8 KB limit for a header.
    TAGS_PER_REQUEST = 400

    def __init__(self, *, location: str, timeout: float = DEFAULT_TIMEOUT):
        self.name = self.location = location.rstrip("/") + "/"
        self.timeout = timeout

    def purge(self, tags):
        for start in range(0, len(tags), self.TAGS_PER_REQUEST):
            chunk = tags[start : start + self.TAGS_PER_REQUEST]
            request = urllib.request.Request(
                self.location, method="PURGE", headers={"xkey-purge": " ".join(chunk)}
            )
            # Errors (refused, timed out, an HTTP error status) raise.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise PurgeFailed(f"{self.location} answered {response.status}")


@cache
def front_caches() -> list[FrontCache]:
    return [
        import_string(options["BACKEND"])(
            **{
                name.lower(): value
                for name, value in options.items()
                if name != "BACKEND"
            }
        )
        for options in settings.FRONT_CACHES
    ]


@receiver(setting_changed)
def _front_caches_changed(setting, **kwargs):
    if setting == "FRONT_CACHES":
        front_caches.cache_clear()
