"""
Oversized and odd requests get a plain 400 or 413 page, never a server error:
huge form posts, too many fields, uploads over the limit, deep or long query
strings, invalid UTF-8 and NUL bytes in paths and query strings.
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ports.models import FeedbackVote
from tests.factories import make_published_story

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"


@pytest.fixture
def reader():
    # Server errors come back as responses, as a real reader would see them.
    return Client(raise_request_exception=False, HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def story(db):
    return make_published_story(4321, title="Odd requests")


def assert_plain(response, status):
    assert response.status_code == status, response.content[:300]
    body = response.content.decode()
    assert "Traceback" not in body
    assert "<script" not in body


ODD_GETS = [
    "/ports/%ff/",
    "/ports/%ff%fe/",
    "/services/%ff/",
    "/services/a%00b/",
    "/ports/well%00known/",
    "/search/?q=%ff%fe",
    "/search/?q=a%00b",
    "/search/?q=%00",
    "/search/?q=4321&page=%00",
    "/search/?q=4321&page=99999999999999999999999",
    "/ports/?page=%ff",
    "/ports/?page=-1",
    "/ports/4321/?thanks=%00",
    "/feeds/stories.rss?x=%ff",
    "/sitemap-%ff.xml",
    "/preview/stories/1/?revision=%00",
]


@pytest.mark.parametrize("url", ODD_GETS)
def test_odd_addresses_are_answered_without_a_server_error(reader, story, url):
    response = reader.get(url)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    assert "Traceback" not in response.content.decode(errors="replace")


def test_invalid_utf8_in_a_path_is_not_found(reader, story):
    assert_plain(reader.get("/ports/%ff/"), 404)


def test_nul_in_the_search_query_is_a_bad_request(reader, story):
    response = reader.get("/search/?q=a%00b")
    assert_plain(response, 400)
    assert "Bad request" in response.content.decode()


def test_nul_in_a_service_name_is_a_bad_request(reader, story):
    assert_plain(reader.get("/services/a%00b/"), 400)


def test_very_long_query_string_is_answered(reader, story):
    response = reader.get("/search/", {"q": "port " * 20_000})
    assert response.status_code in (200, 400)


def test_too_many_query_parameters_are_a_bad_request(reader, story):
    count = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
    query = "&".join(f"a{i}=1" for i in range(count))
    assert_plain(reader.get(f"/search/?q=4321&{query}"), 400)


def test_deeply_nested_query_string_is_answered(reader, story):
    key = "a" + "[b]" * 5_000
    response = reader.get(f"/search/?q=tcp&{key}=1")
    assert response.status_code == 200


def test_huge_form_post_is_too_large(reader, story):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = reader.post("/ports/4321/feedback/", {"helpful": "no", "comment": body})
    assert_plain(response, 413)
    assert "Request too large" in response.content.decode()
    assert not FeedbackVote.objects.exists()


def test_too_many_form_fields_are_a_bad_request(reader, story):
    data = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    data["helpful"] = "yes"
    assert_plain(reader.post("/ports/4321/feedback/", data), 400)
    assert not FeedbackVote.objects.exists()


def test_body_over_the_request_limit_is_refused_before_reading(reader, story):
    """A declared length over the largest upload is refused unread."""
    response = reader.generic(
        "POST",
        "/ports/4321/feedback/",
        data=b"helpful=yes",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
    )
    assert_plain(response, 413)
    assert not FeedbackVote.objects.exists()


def test_invalid_content_length_is_a_bad_request(reader, story):
    response = reader.generic(
        "POST",
        "/ports/4321/feedback/",
        data=b"helpful=yes",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="-5",
    )
    assert response.status_code in (400, 413)
    assert not FeedbackVote.objects.exists()


def test_too_many_uploaded_files_are_a_bad_request(reader, db):
    files = {
        f"f{i}": SimpleUploadedFile(f"{i}.txt", b"x")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    response = reader.post("/ports/4321/feedback/", files)
    assert response.status_code == 400
