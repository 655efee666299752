"""The stylesheet and script: whitenoise serves them under hashed names."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def production_static(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": MANIFEST_STORAGE},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return tmp_path


def test_pages_link_hashed_compressed_static_files(client, production_static):
    html = client.get("/ports/80/").content.decode()
    css = re.search(r'href="/static/(css/site\.[0-9a-f]{12}\.css)"', html)[1]
    js = re.search(r'src="/static/(js/copy\.[0-9a-f]{12}\.js)"', html)[1]
    for name in (css, js):
        assert (production_static / name).exists()
        assert (production_static / f"{name}.gz").exists()


def test_stylesheet_stays_small_and_hand_written():
    from pathlib import Path

    from django.conf import settings

    css = Path(settings.BASE_DIR, "static", "css", "site.css").read_text()
    assert len(css.encode()) < 16_000
    assert "@import" not in css and "url(" not in css  # no web fonts, no frameworks
    assert "@media print" in css and "max-width: 40rem" in css
