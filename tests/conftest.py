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
    from ports.languages import compile_catalogues

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


@pytest.fixture(autouse=True)
def _open_data_elsewhere(settings, tmp_path):
    """Downloads a test writes (an export after a commit) go to its own folder."""
    settings.DATA_EXPORT_DIR = str(tmp_path / "data")


def pytest_collection_modifyitems(items):
    """
    Every transactional test restores the migrated data (serialized rollback).

    A transactional test empties the database afterwards. Without serialized
    rollback, that flush re-runs post_migrate, which recreates content types
    and permissions but not the editorial groups a data migration made, and a
    later serialized-rollback test then fails to reload its rows over them.
    Giving every transactional test the same teardown keeps them independent
    of the order they run in.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        transactional = (
            marker is not None and marker.kwargs.get("transaction")
        ) or any(name in fixtures for name in ("transactional_db", "live_server"))
        if not transactional:
            continue
        if marker is not None and marker.kwargs.get("serialized_rollback"):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        kwargs.update(transaction=True, serialized_rollback=True)
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)
