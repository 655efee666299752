"""The page cache: what is cached for whom, invalidation, conditional requests."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from ports import caching, importing, services
from ports.models import FeedbackPrompt, FeedbackVote, Story

from .factories import make_assignment, make_published_story, make_user, registry_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def prompt(db):
    return FeedbackPrompt.objects.create(
        question="Was this page helpful?",
        yes_label="Yes",
        no_label="No",
        thanks="Thank you for your feedback.",
    )


def body(response):
    return response.content.decode()


def without_token(html):
    """The page less its CSRF token, which is masked afresh for every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def queries_of(client, path, **extra):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **extra).status_code == 200
    return len(queries)


def test_second_anonymous_request_is_served_without_queries(
    client, django_assert_num_queries
):
    make_published_story(4100, title="Cached story")
    first = client.get("/ports/4100/")
    with django_assert_num_queries(0):
        second = client.get("/ports/4100/")
    assert without_token(body(second)) == without_token(body(first))
    assert "Cached story" in body(second)
    assert second["Cache-Control"] == "no-cache, private"


@pytest.mark.parametrize(
    "path", ["/", "/ports/", "/ports/system/", "/ports/1-5/", "/search/?q=story"]
)
def test_listings_are_cached_too(client, django_assert_num_queries, path):
    make_published_story(4101)
    client.get(path)
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


def test_stray_query_parameters_share_the_cached_page(
    client, django_assert_num_queries
):
    client.get("/ports/80/")
    with django_assert_num_queries(0):
        assert client.get("/ports/80/?utm_source=x").status_code == 200
    client.get("/ports/?story=yes")
    with django_assert_num_queries(0):
        client.get("/ports/?story=yes&ref=feed")


def test_each_language_has_its_own_copy(client):
    english = body(client.get("/ports/80/"))
    japanese = body(client.get("/ja/ports/80/"))
    assert '<html lang="en"' in english and '<html lang="ja"' in japanese


def test_publishing_a_new_version_replaces_the_cached_page(client):
    story = make_published_story(4102, title="First version")
    assert "First version" in body(client.get("/ports/4102/"))
    assert "First version" in body(client.get("/"))
    story.title = "Second version"
    story.save()
    assert "First version" in body(client.get("/ports/4102/"))  # a draft: unchanged
    services.story_publish(story=story, by=None)
    assert "Second version" in body(client.get("/ports/4102/"))
    assert "Second version" in body(client.get("/"))


def test_invalidation_happens_again_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        caching.invalidate_ports([1, 2])
    assert len(callbacks) == 1


def test_unpublishing_removes_the_story_from_the_cached_page(client):
    story = make_published_story(4103, title="Soon gone")
    assert "Soon gone" in body(client.get("/ports/4103/"))
    editor = make_user("chief", is_superuser=True)
    services.story_unpublish(story=story, by=editor)
    assert "Soon gone" not in body(client.get("/ports/4103/"))


def test_an_import_refreshes_the_ports_it_touches_and_the_lists(client):
    importing.import_registry(
        registry_csv(["alpha", "4200", "tcp", "Alpha service"]), file_name="1.csv"
    )
    assert "Alpha service" in body(client.get("/ports/4200/"))
    assert "Alpha service" not in body(client.get("/ports/4301/"))
    assert "/services/beta/" not in body(client.get("/ports/4290-4310/"))
    importing.import_registry(
        registry_csv(
            ["alpha", "4200", "tcp", "Alpha renamed"],
            ["beta", "4300-4302", "udp", "Beta range"],
        ),
        file_name="2.csv",
    )
    assert "Alpha renamed" in body(client.get("/ports/4200/"))
    assert "Beta range" in body(client.get("/ports/4301/"))
    assert 'href="/services/beta/"' in body(client.get("/ports/4290-4310/"))


def test_an_import_leaves_other_ports_cached(client, django_assert_num_queries):
    # Registered ports around 4200, four of them between it and 5000: 5000
    # does not list 4200 among its nearby ports.
    between = [
        [f"s{n}", str(n), "tcp", f"Service {n}"]
        for n in (4000, 4100, 4150, 4300, 4400, 4500, 4600)
    ]
    importing.import_registry(registry_csv(*between), file_name="0.csv")
    client.get("/ports/5000/")
    importing.import_registry(
        registry_csv(["alpha", "4200", "tcp", "Alpha service"], *between),
        file_name="1.csv",
    )
    with django_assert_num_queries(0):
        client.get("/ports/5000/")


def test_a_large_import_refreshes_every_port_page_with_one_token(
    client, django_assert_num_queries
):
    client.get("/ports/5000/")
    client.get("/")
    old = caching._versions(caching.ALL_PORTS_KEY)
    make_assignment("late", 5000)  # written without an import: not invalidated
    caching.invalidate_ports(range(caching.BULK_PORTS + 1))
    assert caching._versions(caching.ALL_PORTS_KEY) != old
    assert "late" in body(client.get("/ports/5000/"))
    assert queries_of(client, "/") > 0  # the listings too


def test_ports_in_ranges_expands_ranges_and_skips_portless_rows():
    assert caching.ports_in_ranges([(1, 3), (5, 5), (None, None)]) == {1, 2, 3, 5}


def test_signed_in_staff_never_get_or_fill_the_cache(client):
    make_published_story(4104)
    staff = Client()
    staff.force_login(make_user("editor", role="Editor"))
    response = staff.get("/ports/4104/")
    assert "no-store" in response["Cache-Control"]
    # The staff visit stored nothing: the first anonymous visit builds the page.
    assert queries_of(client, "/ports/4104/") > 0
    assert queries_of(client, "/ports/4104/") == 0
    # Staff keep getting pages built for them, never the cached copy.
    assert queries_of(staff, "/ports/4104/") > 2


def test_page_cache_can_be_turned_off(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/ports/80/")
    assert queries_of(client, "/ports/80/") > 0


# Conditional requests ---------------------------------------------------------------


def test_etag_answers_a_conditional_request_with_304(client):
    first = client.get("/ports/80/")
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}-[0-9a-f]{8}"', etag)  # page, reader
    second = client.get("/ports/80/", HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 304
    assert second.content == b""
    assert second["ETag"] == etag
    assert client.get("/ports/80/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_page_with_a_form_revalidates_per_reader():
    """
    The ETag of a page with the feedback form follows the reader's CSRF
    secret: the same reader gets 304, a reader with another secret (or the
    same one after losing the cookie) gets the page with a token that works.
    """
    first, second = Client(), Client()
    etag = first.get("/ports/81/")["ETag"]
    assert first.get("/ports/81/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    other = second.get("/ports/81/")
    assert other["ETag"] != etag
    assert second.get("/ports/81/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    first.cookies.clear()
    assert first.get("/ports/81/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # The part that names the page is shared: one cached copy serves all.
    assert etag.split("-")[0] == other["ETag"].split("-")[0]


def test_etag_changes_when_the_page_does(client):
    story = make_published_story(4105, title="Before")
    etag = client.get("/ports/4105/")["ETag"]
    story.title = "After"
    story.save()
    services.story_publish(story=story, by=None)
    response = client.get("/ports/4105/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_last_modified_comes_from_the_data(client):
    story = make_published_story(4106)
    response = client.get("/ports/4106/")
    story.refresh_from_db()
    expected = max(
        story.go_live_at, story.last_reviewed_at, story.live_revision.created_at
    )
    assert response["Last-Modified"] == http_date(expected.timestamp())
    later = http_date((expected + timedelta(minutes=5)).timestamp())
    assert client.get("/ports/4106/", HTTP_IF_MODIFIED_SINCE=later).status_code == 304
    earlier = http_date((expected - timedelta(days=1)).timestamp())
    assert client.get("/ports/4106/", HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_listings_have_etags_and_last_modified(client):
    make_published_story(4107)
    response = client.get("/")
    assert response["ETag"] and response["Last-Modified"]
    assert client.get("/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    feed = client.get("/feeds/stories.rss")
    assert (
        client.get("/feeds/stories.rss", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code
        == 304
    )


# CSRF on cached pages -------------------------------------------------------------


def csrf_input(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)[1]


def test_each_reader_gets_a_working_token_in_a_cached_page(prompt):
    # Two readers: votes are counted once per reader (address and browser).
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    first = Client(
        enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT=browser
    )
    second = Client(
        enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.2", HTTP_USER_AGENT=browser
    )
    first_token = csrf_input(body(first.get("/ports/82/")))
    second_page = second.get("/ports/82/")  # from the cache
    second_token = csrf_input(body(second_page))
    assert caching.CSRF_PLACEHOLDER not in body(second_page)
    assert "csrftoken" in second_page.cookies
    assert "Cookie" in second_page["Vary"]
    # Each token works with its own reader's cookie...
    vote = second.post(
        "/ports/82/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": second_token}
    )
    assert vote.status_code == 302
    assert (
        first.post(
            "/ports/82/feedback/", {"helpful": "no", "csrfmiddlewaretoken": first_token}
        ).status_code
        == 302
    )
    assert FeedbackVote.objects.count() == 2
    # ...and a forged or placeholder token is refused.
    refused = Client(
        enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.3", HTTP_USER_AGENT=browser
    )
    refused.get("/ports/82/")
    for token in (caching.CSRF_PLACEHOLDER, "x" * 64):
        response = refused.post(
            "/ports/82/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 403
    assert FeedbackVote.objects.count() == 2


def test_thank_you_page_is_not_cached_and_does_not_replace_the_form(client, prompt):
    client.post(
        "/ports/83/feedback/",
        {"helpful": "yes"},
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )
    thanks = body(client.get("/ports/83/?thanks=1"))
    assert "Thank you for your feedback." in thanks
    assert "<form" in body(client.get("/ports/83/")).split('id="feedback"')[1]


# Freshness ------------------------------------------------------------------------


def test_cached_port_page_expires_when_its_story_does():
    story = make_published_story(4108)
    expiry = timezone.now() + timedelta(seconds=90)
    Story.objects.filter(pk=story.pk).update(expire_at=expiry)
    from ports import pages

    page = pages.port_page(4108, language="en")
    assert page.next_change_at == expiry
    timeout = caching._timeout(caching.Page("x", expires_at=page.next_change_at))
    assert 0 < timeout <= 90


def test_lost_version_tokens_are_replaced_not_reset(client):
    from django.core.cache import cache

    client.get("/ports/84/")
    cache.delete(caching.PORT_KEY.format(84))
    assert queries_of(client, "/ports/84/") > 0
