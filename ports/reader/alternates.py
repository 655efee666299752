"""
A reader page's address in every language: its path under each language's
prefix (English has none), for hreflang links and the language switcher.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve, translate_url
from django.utils.encoding import escape_uri_path
from django.utils.translation import get_language_from_path, get_language_info

from ports.languages import language_codes

# The app whose pages live under the language prefixes (portwiki.urls).
READER_APP = "ports"


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str
    url: str
    bidi: bool


def page_alternates(request) -> list[Alternate]:
    """
    This page's path in every language, or nothing where the path is no page
    (a 404 has no translations to point to).
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
        try:
            match = resolve(request.path_info, urlconf)
        except Resolver404:
            return []
    return list(_alternates(request.path_info, request.path, match.app_name))


@lru_cache(maxsize=1)
def _languages() -> tuple:
    """(code, local name, right to left, address prefix) of each language."""
    return tuple(
        (
            code,
            info["name_local"],
            info["bidi"],
            "" if code == settings.LANGUAGE_CODE else f"/{code}",
        )
        for code in language_codes()
        for info in [get_language_info(code)]
    )


@receiver(setting_changed)
def _language_settings_changed(setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE"):  # tests may change them
        _languages.cache_clear()
        _alternates.cache_clear()


# Each page asks twice (hreflang links, the switcher). The reader pages'
# patterns are not translated, so a page's address in another language is
# its address under that language's prefix, where translate_url() would
# resolve and reverse once per language (a third of an uncached port page).
@lru_cache(maxsize=4096)
def _alternates(path_info, path, app_name) -> tuple[Alternate, ...]:
    if app_name != READER_APP:  # not under the language prefixes
        return tuple(
            Alternate(code, name, translate_url(path, code), bidi)
            for code, name, bidi, _prefix in _languages()
        )
    script_prefix = escape_uri_path(path[: len(path) - len(path_info)])
    # get_language_from_path() also answers for a variant (/de-at/ gives
    # de): only the language's own prefix is taken off.
    own = f"/{get_language_from_path(path_info)}/"
    rest = path_info[len(own) - 1 :] if path_info.startswith(own) else path_info
    rest = escape_uri_path(rest)
    return tuple(
        Alternate(code, name, script_prefix + prefix + rest, bidi)
        for code, name, bidi, prefix in _languages()
    )
