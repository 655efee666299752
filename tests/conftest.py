"""Fixtures for the whole suite."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogues():
    """
    Compiled message catalogues, as `make test` leaves them: Django serves a
    language (Pashto above all, which it has no catalogue of its own for)
    only when one exists.
    """
    from ports.i18n import compile_catalogues

    compile_catalogues()


@pytest.fixture(autouse=True)
def _fresh_cache_and_language():
    """
    Each test starts with an empty cache, so no cached page leaks between
    tests, and in the default language: a request in another language leaves
    it active in the thread, and modeltranslation would then write plain
    field assignments (story.title = …) into that language's column.
    """
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
