"""The admin says what it is, and the site has an icon where clients look."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client


def test_the_admin_names_the_site(client):
    page = client.get("/admin/login/").content.decode()
    assert re.search(r"<title>Log in \| portwiki admin</title>", page)
    assert '<a href="/admin/">portwiki</a>' in page


@pytest.mark.django_db
def test_the_editorial_desk_is_the_admin_index(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Editorial desk" in page


def test_the_icon_is_where_clients_look_for_it():
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert "public" in response["Cache-Control"]
    assert response["Location"] == static("favicon.svg")
    assert Path(finders.find("favicon.svg")).read_text().startswith("<svg")


@pytest.mark.django_db
def test_reader_pages_link_to_the_icon(client):
    page = client.get("/ports/80/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
