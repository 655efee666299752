"""
Reader pages as one public copy per address: what caches are told, the
app's page cache, purging by tag, conditional requests.
"""

import gzip
import re
import socket
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.tasks import default_task_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from ports import tasks
from ports.cache import tags
from ports.cache.page_cache import PageCache, directives
from ports.cache.purging import purge
from ports.editorial import actions
from ports.models import FeedbackPrompt, Story
from ports.reader import page_data, views
from ports.registry import importing
from tests.factories import (
    make_assignment,
    make_published_story,
    make_user,
    registry_csv,
)

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


def queries_of(client, path, **extra):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **extra).status_code == 200
    return len(queries)


# What every reader gets ---------------------------------------------------------------

READER_PAGES = [
    "/ports/4100/",
    "/ja/ports/4100/",
    "/",
    "/ports/",
    "/ports/system/",
    "/ports/1-5/",
    "/services/http/",
    "/search/?q=story",
    "/feeds/stories.rss",
    "/sitemap.xml",
]


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_are_public_and_the_same_for_every_reader(path, prompt):
    make_published_story(4100, title="Shared story")
    make_assignment("http", 80)
    first = Client(REMOTE_ADDR="192.0.2.1").get(path)
    # Another reader, with cookies of their own and another browser language.
    second = Client(REMOTE_ADDR="192.0.2.2").get(
        path, HTTP_COOKIE="csrftoken=abc; theme=dark", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert not first.cookies and not second.cookies
    for response in (first, second):
        assert "Cookie" not in response.get("Vary", "")
        assert "Accept-Language" not in response.get("Vary", "")
        assert "csrfmiddlewaretoken" not in body(response)
    cache_control = directives(first)
    assert cache_control["public"] is True
    assert cache_control["max-age"] == "60"
    assert cache_control["s-maxage"] == "86400"
    assert cache_control["stale-while-revalidate"] == "60"
    assert cache_control["stale-if-error"] == "86400"
    assert first["Surrogate-Key"].split()[0] == tags.SITE
    assert first["ETag"] and first["Last-Modified"]


def test_port_pages_are_tagged_with_their_port_and_listings_as_listings():
    assert Client().get("/ports/4101/")["Surrogate-Key"] == "site ports port-4101"
    assert Client().get("/")["Surrogate-Key"] == "site listings"


def test_lifetimes_come_from_settings(client, settings):
    settings.BROWSER_CACHE_SECONDS = 5
    settings.SHARED_CACHE_SECONDS = 600
    settings.STALE_WHILE_REVALIDATE_SECONDS = 0
    settings.STALE_IF_ERROR_SECONDS = 120
    response = client.get("/ports/4102/")
    assert (
        response["Cache-Control"]
        == "public, max-age=5, s-maxage=600, stale-if-error=120"
    )


def test_signed_in_staff_get_private_pages_and_never_fill_the_cache(client):
    make_published_story(4104)
    staff = Client()
    staff.force_login(make_user("editor", role="Editor"))
    response = staff.get("/ports/4104/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Surrogate-Key" not in response
    # The staff visit stored nothing: the first anonymous visit builds the page.
    assert queries_of(client, "/ports/4104/") > 0
    assert queries_of(client, "/ports/4104/") == 0
    # Staff keep getting pages built for them, never the cached copy.
    assert queries_of(staff, "/ports/4104/") > 2


def test_the_thank_you_state_is_private(client, prompt):
    response = client.get("/ports/4105/?thanks=1")
    assert "Thank you for your feedback." in body(response)
    assert "no-store" in response["Cache-Control"]
    assert queries_of(client, "/ports/4105/?thanks=1") > 0
    # It never replaces the page with the form.
    assert "<form" in body(client.get("/ports/4105/")).split('id="feedback"')[1]


def test_previews_are_private(client):
    story = make_published_story(4106)
    client.force_login(make_user("chief", is_superuser=True))
    response = client.get(f"/preview/stories/{story.pk}/")
    assert "no-store" in response["Cache-Control"]
    assert "Surrogate-Key" not in response


def test_a_page_whose_story_expires_is_kept_no_longer(client):
    story = make_published_story(4108)
    Story.objects.filter(pk=story.pk).update(
        expire_at=timezone.now() + timedelta(seconds=90)
    )
    found = directives(client.get("/ports/4108/"))
    assert 85 <= int(found["s-maxage"]) <= 90
    assert int(found["max-age"]) <= 60
    # Never served stale past the moment it changes.
    assert "stale-while-revalidate" not in found and "stale-if-error" not in found


def test_listings_are_kept_no_longer_than_the_next_scheduled_change(client):
    story = make_published_story(4109)
    Story.objects.filter(pk=story.pk).update(
        expire_at=timezone.now() + timedelta(seconds=300)
    )
    assert 295 <= int(directives(client.get("/"))["s-maxage"]) <= 300


# The app's page cache ---------------------------------------------------------------


def test_second_request_is_served_from_the_page_cache(
    client, django_assert_num_queries
):
    make_published_story(4110, title="Cached story")
    first = client.get("/ports/4110/")
    with django_assert_num_queries(0):
        second = client.get("/ports/4110/")
    assert second.content == first.content
    assert second.headers == first.headers


@pytest.mark.parametrize("path", READER_PAGES)
def test_every_reader_page_is_cached(client, django_assert_num_queries, path):
    make_published_story(4100)
    make_assignment("http", 80)
    client.get(path)
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


def test_head_requests_are_answered_from_the_cache(client, django_assert_num_queries):
    client.get("/ports/4111/")
    with django_assert_num_queries(0):
        assert client.head("/ports/4111/").status_code == 200


def test_compressed_and_plain_copies_are_kept_apart(client, django_assert_num_queries):
    make_published_story(4112, title="Squeezed")
    plain = client.get("/ports/4112/")
    zipped = client.get("/ports/4112/", HTTP_ACCEPT_ENCODING="gzip, br")
    with django_assert_num_queries(0):
        plain_hit = client.get("/ports/4112/")
        zipped_hit = client.get("/ports/4112/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain_hit
    assert zipped_hit["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped_hit.content) == plain.content == plain_hit.content
    assert zipped_hit.content == zipped.content
    assert zipped_hit["ETag"] == "W/" + plain_hit["ETag"]


def test_each_language_has_its_own_copy(client):
    english = body(client.get("/ports/80/"))
    japanese = body(client.get("/ja/ports/80/"))
    assert '<html lang="en"' in english and '<html lang="ja"' in japanese
    assert '<html lang="ja"' in body(client.get("/ja/ports/80/"))


def test_page_cache_can_be_turned_off(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/ports/80/")
    assert queries_of(client, "/ports/80/") > 0


def test_a_page_built_while_a_change_commits_is_not_kept(client, monkeypatch):
    """
    A reader's request reads the data, a change commits and purges, then the
    request would store what it read under the new tokens: it must not.
    """
    real_port_page = page_data.port_page_data

    def port_page_during_a_change(number, **kwargs):
        page = real_port_page(number, **kwargs)
        PageCache().purge(tags.ports_changed([number]))  # committed meanwhile
        return page

    monkeypatch.setattr(views.page_data, "port_page_data", port_page_during_a_change)
    client.get("/ports/4113/")
    monkeypatch.setattr(views.page_data, "port_page_data", real_port_page)
    assert queries_of(client, "/ports/4113/") > 0  # not kept: built again
    assert queries_of(client, "/ports/4113/") == 0


def test_lost_tokens_are_replaced_not_reset(client):
    client.get("/ports/4114/")
    cache.delete(f"pages:tag:{tags.port_tag(4114)}")
    assert queries_of(client, "/ports/4114/") > 0


# Purging ------------------------------------------------------------------------------


def test_publishing_a_new_version_replaces_the_cached_page(client):
    story = make_published_story(4120, title="First version")
    assert "First version" in body(client.get("/ports/4120/"))
    assert "First version" in body(client.get("/"))
    story.title = "Second version"
    story.save()
    assert "First version" in body(client.get("/ports/4120/"))  # a draft: unchanged
    actions.story_publish(story=story, by=None)
    assert "Second version" in body(client.get("/ports/4120/"))
    assert "Second version" in body(client.get("/"))


def test_a_purge_happens_again_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        purge(tags.ports_changed([1, 2]))
    assert len(callbacks) == 1


def test_unpublishing_removes_the_story_from_the_cached_page(client):
    story = make_published_story(4121, title="Soon gone")
    assert "Soon gone" in body(client.get("/ports/4121/"))
    actions.story_unpublish(story=story, by=make_user("chief", is_superuser=True))
    assert "Soon gone" not in body(client.get("/ports/4121/"))


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


def test_a_large_change_purges_every_port_page_with_one_tag(client):
    assert tags.ports_changed(range(tags.BULK_PORTS + 1)) == [tags.PORTS, tags.LISTINGS]
    client.get("/ports/5000/")
    client.get("/")
    make_assignment("late", 5000)  # written without an import: not purged
    purge(tags.ports_changed(range(tags.BULK_PORTS + 1)))
    assert "late" in body(client.get("/ports/5000/"))
    assert queries_of(client, "/") > 0  # the listings too


def test_purging_the_site_tag_empties_every_page(client):
    for path in ("/ports/80/", "/"):
        client.get(path)
    purge([tags.SITE])
    assert queries_of(client, "/ports/80/") > 0 and queries_of(client, "/") > 0


def test_ports_in_ranges_expands_ranges_and_skips_portless_rows():
    assert tags.ports_in_ranges([(1, 3), (5, 5), (None, None)]) == {1, 2, 3, 5}


# Conditional requests -----------------------------------------------------------------


def test_etag_answers_a_conditional_request_with_304(client):
    first = client.get("/ports/80/")
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    for _fresh_or_cached in range(2):
        second = client.get("/ports/80/", HTTP_IF_NONE_MATCH=etag)
        assert second.status_code == 304
        assert second.content == b""
        assert second["ETag"] == etag
    assert client.get("/ports/80/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_etag_changes_when_the_page_does(client):
    story = make_published_story(4130, title="Before")
    etag = client.get("/ports/4130/")["ETag"]
    story.title = "After"
    story.save()
    actions.story_publish(story=story, by=None)
    response = client.get("/ports/4130/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_last_modified_comes_from_the_data(client):
    story = make_published_story(4131)
    response = client.get("/ports/4131/")
    story.refresh_from_db()
    expected = max(
        story.go_live_at, story.last_reviewed_at, story.live_revision.created_at
    )
    assert response["Last-Modified"] == http_date(expected.timestamp())
    later = http_date((expected + timedelta(minutes=5)).timestamp())
    assert client.get("/ports/4131/", HTTP_IF_MODIFIED_SINCE=later).status_code == 304
    earlier = http_date((expected - timedelta(days=1)).timestamp())
    assert client.get("/ports/4131/", HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_listings_have_etags_and_last_modified(client):
    make_published_story(4132)
    response = client.get("/")
    assert response["ETag"] and response["Last-Modified"]
    assert client.get("/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    feed = client.get("/feeds/stories.rss")
    assert (
        client.get("/feeds/stories.rss", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code
        == 304
    )


# Without the cache ------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    settings.CACHES = {
        "default": {
            "BACKEND": "ports.cache.redis.PooledClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }


def test_with_redis_down_pages_come_from_the_database(
    redis_down, caplog, django_capture_on_commit_callbacks
):
    story = make_published_story(4140, title="Served anyway")
    client = Client()
    for _each_time in range(2):
        assert queries_of(client, "/ports/4140/") > 0
    assert "Served anyway" in body(client.get("/ports/4140/"))
    assert "Page cache unavailable" in caplog.text
    # Publishing still works; the page cache's purge waits for the worker.
    story.title = "Published anyway"
    story.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.story_publish(story=story, by=None)
    assert "Published anyway" in body(client.get("/ports/4140/"))
    # Beside the open data export the publish queued.
    (queued,) = [
        result
        for result in default_task_backend.results
        if result.task.func is not tasks.export_open_data.func
    ]
    assert len(default_task_backend.results) == 2
    assert queued.kwargs["cache"] == "page-cache"
    assert "port-4140" in queued.kwargs["tags"]
