"""
Cache hits answered by PageCacheMiddleware, before sessions, authentication
and the view: the same response the whole stack would give.
"""

import gzip
import re
from unittest import mock

import pytest
from django.test import Client

from ports import caching
from ports.models import FeedbackPrompt

from .factories import make_published_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def prompt(db):
    return FeedbackPrompt.objects.create(
        question="Was this page helpful?", yes_label="Yes", no_label="No", thanks="Ta"
    )


def test_a_hit_never_reaches_the_view_or_the_session(client):
    make_published_story(4700, title="Early answer")
    first = client.get("/ports/4700/")
    with (
        mock.patch("ports.views.cached_page", side_effect=AssertionError("view")),
        mock.patch(
            "django.contrib.sessions.middleware.SessionMiddleware.process_request",
            side_effect=AssertionError("session"),
        ),
    ):
        second = client.get("/ports/4700/")
    assert second.status_code == 200
    # The same page, with a token for the same reader's cookie.
    token = r'name="csrfmiddlewaretoken" value="[^"]*"'
    assert re.sub(token, "", second.text) == re.sub(token, "", first.text)
    assert "Early answer" in second.text


def test_a_hit_carries_the_headers_of_a_miss(prompt):
    miss = Client().get("/ports/4701/")
    hit = Client().get("/ports/4701/")
    for header in (
        "Content-Type",
        "Content-Language",
        "Cache-Control",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
    ):
        assert hit[header] == miss[header], header
    assert set(re.split(r",\s*", hit["Vary"])) == set(re.split(r",\s*", miss["Vary"]))
    # The same page; the ETag's second part follows each reader's CSRF secret.
    assert hit["ETag"].split("-")[0] == miss["ETag"].split("-")[0]
    # A new reader gets their own CSRF cookie, and the form a token for it.
    assert "csrftoken" in hit.cookies
    assert caching.CSRF_PLACEHOLDER not in hit.content.decode()


def test_a_hit_answers_conditional_and_head_requests():
    reader = Client()
    etag = reader.get("/ports/4702/")["ETag"]
    assert reader.get("/ports/4702/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    head = Client().head("/ports/4702/")
    assert head.status_code == 200 and head.content == b""


def test_each_language_gets_its_own_hit():
    for path in ("/de/ports/4703/", "/fr/ports/4703/", "/ports/4703/"):
        Client().get(path)
    german = Client().get("/de/ports/4703/")
    french = Client().get("/fr/ports/4703/")
    english = Client().get("/ports/4703/", HTTP_ACCEPT_LANGUAGE="de")
    assert german["Content-Language"] == "de" and '<html lang="de"' in german.text
    assert french["Content-Language"] == "fr" and '<html lang="fr"' in french.text
    # Without a prefix the page is English, whatever the browser asks for.
    assert english["Content-Language"] == "en" and '<html lang="en"' in english.text


def test_a_session_cookie_goes_down_the_whole_stack(client):
    staff = Client()
    staff.force_login(make_user("editor", role="Editor"))
    client.get("/ports/4704/")  # cached for anonymous readers
    with mock.patch("ports.caching.cached_response") as early:
        response = staff.get("/ports/4704/")
    early.assert_not_called()
    assert "no-store" in response["Cache-Control"]


def test_pages_without_a_scope_and_writes_are_never_answered_early(client):
    with mock.patch("ports.caching.cached_response") as early:
        client.get("/robots.txt")
        client.get("/admin/login/")
        client.post("/ports/4705/feedback/", {"helpful": "yes"})
        client.get("/ports/4705/?thanks=yes")
    early.assert_not_called()


def test_previews_are_never_cached():
    story = make_published_story(4706, title="Live words")
    story.title = "Draft words"
    story.save()
    staff = Client()
    staff.force_login(make_user("chief", is_superuser=True))
    for _ in range(2):
        response = staff.get(f"/preview/stories/{story.pk}/")
        assert "Draft words" in response.text
        assert "no-store" in response["Cache-Control"]
    # Readers still get the live version, never the preview.
    assert "Draft words" not in Client().get("/ports/4706/").text


def test_compressed_once_for_readers_who_accept_gzip(prompt):
    # A browser: the feedback view turns away clients that look like bots.
    reader = Client(
        enforce_csrf_checks=True,
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )
    plain = reader.get("/ports/4707/")
    with mock.patch("django.middleware.gzip.compress_string") as per_response:
        hit = reader.get("/ports/4707/", HTTP_ACCEPT_ENCODING="gzip, br")
    per_response.assert_not_called()  # spliced from the cached pieces
    assert hit["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in hit["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert hit["ETag"] == f"W/{plain['ETag']}"
    html = gzip.decompress(hit.content).decode()
    token = r'name="csrfmiddlewaretoken" value="([^"]*)"'
    assert re.sub(token, "", html) == re.sub(token, "", plain.text)
    # The reader's own token, spliced into every form of the compressed page,
    # works.
    assert len(set(re.findall(token, html))) == 1
    vote = reader.post(
        "/ports/4707/feedback/",
        {"helpful": "yes", "csrfmiddlewaretoken": re.search(token, html)[1]},
    )
    assert vote.status_code == 302
    # Revalidation works for either representation.
    again = reader.get(
        "/ports/4707/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=hit["ETag"]
    )
    assert again.status_code == 304


def test_pages_without_a_token_are_compressed_whole():
    make_published_story(4708, title="Listed")
    Client().get("/")
    hit = Client().get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert hit["Content-Encoding"] == "gzip"
    assert "Listed" in gzip.decompress(hit.content).decode()


def test_readers_without_gzip_get_the_page_as_is():
    Client().get("/ports/4709/")
    hit = Client().get("/ports/4709/", HTTP_ACCEPT_ENCODING="identity")
    assert not hit.has_header("Content-Encoding")
    assert hit.content.startswith(b"<!doctype html>")
