"""
The reader pages' URLs, reversed once per process rather than per link.

A port page links to some thirty pages, most of them other ports: reversing
each took a tenth of a millisecond, and their numbers differ from page to
page, so remembering whole URLs helps little. A route whose arguments are
all numbers is reversed once per language with stand-in numbers, and each
link is that URL with the real numbers put in their place; other URLs are
remembered whole. The URLconf does not change while the process runs.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Numbers no port, range or story id comes near; each must appear once in
# the reversed path for the route to be reused.
_STAND_INS = (2_000_000_011, 2_000_000_013, 2_000_000_017)
ROUTES = 1024
URLS = 16384


def url(name, *args, **kwargs):
    """reverse(name, args, kwargs) in the active language, quickly."""
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
    if (
        args
        and not kwargs
        and len(args) <= len(_STAND_INS)
        # What Django's int converter accepts: no bools, no negatives.
        and all(type(arg) is int and arg >= 0 for arg in args)
    ):
        pieces = _numeric_route(*key, name, len(args))
        if pieces is not None:
            joined = [pieces[0]]
            for arg, piece in zip(args, pieces[1:], strict=True):
                joined += [str(arg), piece]
            return "".join(joined)
    return _reverse(*key, name, args, tuple(sorted(kwargs.items())))


@lru_cache(maxsize=ROUTES)
def _numeric_route(urlconf, _prefix, _language, name, count):
    """The route's URL split around its numbers' places, or None."""
    stand_ins = _STAND_INS[:count]
    path = reverse(name, urlconf=urlconf, args=stand_ins)
    pieces = []
    for stand_in in stand_ins:
        before, found, path = path.partition(str(stand_in))
        if not found or str(stand_in) in path:
            return None
        pieces.append(before)
    return (*pieces, path)


@lru_cache(maxsize=URLS)
def _reverse(urlconf, _prefix, _language, name, args, kwargs):
    # The prefix and language are part of the key: reverse() reads them.
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs))
