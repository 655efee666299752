"""
The page cache's per-process tier (ports.local_pages) and how ports.caching
uses it, over a real Redis (database 13): a repeated hit is served from this
process's memory without a Redis command; a version token changed by anyone
(this process, another client, FLUSHDB) is dropped at the next lookup; a
broken invalidation connection turns the tier off until it reconnects;
expired entries and the LRU bound; no tier without Redis. Also the CSRF
secret that cached pages give a reader without one.
"""

import pickle
import re
import socket
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from ports import caching, local_pages, services
from ports.models import FeedbackPrompt

from .factories import make_assignment, make_published_story

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/13"
REDIS = {
    "default": {
        "BACKEND": "ports.redis_cache.PooledClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portwiki-test",
    }
}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


class Clock:
    """The tier's clock (ports.local_pages.time), moved on by hand."""

    def __init__(self):
        self.offset = 0.0

    def monotonic(self):
        return time.monotonic() + self.offset

    def time(self):
        return time.time() + self.offset


@pytest.fixture
def raw_redis():
    """A plain client of database 13: another process, or redis-cli."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield client
    client.close()


@pytest.fixture
def tier(raw_redis, monkeypatch):
    """The page cache in an empty Redis database, and a fresh tier."""
    monkeypatch.setattr(local_pages, "_local", None)
    raw_redis.flushdb()
    with override_settings(CACHES=REDIS):
        yield
        if local_pages._local is not None and local_pages._local.connection:
            local_pages._local.connection.disconnect()
    raw_redis.flushdb()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(local_pages, "time", clock)
    return clock


@pytest.fixture
def sent(monkeypatch):
    """Every command this process sends to Redis, as it is sent."""
    commands = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        # The tier's heartbeat (a PING every few seconds) is not a lookup.
        if b"PING" not in b"".join(command):
            commands.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(
        redis.connection.AbstractConnection, "send_packed_command", counting
    )
    return commands


@pytest.fixture
def prompt(db):
    return FeedbackPrompt.objects.create(
        question="Was this page helpful?", yes_label="Yes", no_label="No", thanks="Ta"
    )


def fetch(sent, path, client=None):
    """A reader's page, and how many Redis commands serving it took."""
    before = len(sent)
    response = (client or Client()).get(path)
    assert response.status_code == 200
    return response, len(sent) - before


def token_key(number):
    """The Redis key of a port's version token, as another process sees it."""
    return cache.make_key(caching.PORT_KEY.format(number))


def csrf_input(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)[1]


# Hits from memory -------------------------------------------------------------


def test_a_second_hit_is_served_from_memory(tier, sent, django_assert_num_queries):
    make_published_story(4800, title="Kept in memory")
    reader = Client()  # one reader: the same CSRF token in both pages
    first, first_commands = fetch(sent, "/ports/4800/", reader)
    with django_assert_num_queries(0):
        second, second_commands = fetch(sent, "/ports/4800/", reader)
    assert first_commands > 0
    assert second_commands == 0
    assert second.content == first.content
    assert "Kept in memory" in second.text


def test_cached_page_fills_the_tier(tier, sent):
    request = RequestFactory().get("/ports/4801/")
    scope = caching.Scope(port=4801)
    # The tokens exist, as on any site in use. (Creating one is a write under
    # the tracked prefix: its invalidation sends the next lookup to Redis.)
    caching._versions(*scope.keys)
    builds = []

    def build():
        builds.append(1)
        return caching.Page("<p>Port 4801</p>")

    first = caching.cached_page(request, build, scope)
    before = len(sent)
    second = caching.cached_page(request, build, scope)
    assert len(sent) == before
    assert len(builds) == 1
    assert second.content == first.content == b"<p>Port 4801</p>"


# Invalidation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda raw, key: raw.set(key, pickle.dumps(caching._token())),
        lambda raw, key: raw.delete(key),
    ],
    ids=["set", "delete"],
)
def test_a_token_changed_by_another_client_is_dropped_at_once(
    tier, sent, raw_redis, change
):
    fetch(sent, "/ports/4802/")
    make_assignment("lateservice", 4802)  # written without invalidating
    stale, commands = fetch(sent, "/ports/4802/")
    assert commands == 0 and "lateservice" not in stale.text
    change(raw_redis, token_key(4802))
    fresh, commands = fetch(sent, "/ports/4802/")
    assert commands > 0
    assert "lateservice" in fresh.text


def test_invalidating_in_this_process_reaches_the_tier(
    tier, sent, django_capture_on_commit_callbacks
):
    fetch(sent, "/ports/4803/")
    make_assignment("lateservice", 4803)
    with django_capture_on_commit_callbacks(execute=True):
        caching.invalidate_ports([4803])
    fresh, commands = fetch(sent, "/ports/4803/")
    assert commands > 0
    assert "lateservice" in fresh.text


def test_publishing_replaces_the_page_in_memory(
    tier, sent, django_capture_on_commit_callbacks
):
    story = make_published_story(4804, title="First version")
    assert "First version" in fetch(sent, "/ports/4804/")[0].text
    assert fetch(sent, "/ports/4804/")[1] == 0
    story.title = "Second version"
    story.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.story_publish(story=story, by=None)
    assert "Second version" in fetch(sent, "/ports/4804/")[0].text


def test_flushdb_by_another_client_empties_the_tier(tier, sent, raw_redis):
    fetch(sent, "/ports/4805/")
    make_assignment("lateservice", 4805)
    assert fetch(sent, "/ports/4805/")[1] == 0
    raw_redis.flushdb()
    # Redis may write the flush's reply to its caller a moment before the
    # message to the tier's connection (a few times in a thousand here; a
    # key's change never): as another server would, the tier applies it at
    # the first lookup after it arrives.
    assert local_pages.local_pages().connection.can_read(timeout=2)
    fresh, commands = fetch(sent, "/ports/4805/")
    assert commands > 0
    assert "lateservice" in fresh.text


# A broken invalidation connection -------------------------------------------------


def kill_from_redis(raw_redis, connection):
    host, port = connection._sock.getsockname()[:2]
    assert raw_redis.client_kill(f"{host}:{port}")


def close_here(raw_redis, connection):
    connection._sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("break_connection", [kill_from_redis, close_here])
def test_a_broken_connection_turns_the_tier_off_until_it_reconnects(
    tier, sent, raw_redis, clock, break_connection
):
    reader = Client()
    first, _ = fetch(sent, "/ports/4806/", reader)
    assert fetch(sent, "/ports/4806/", reader)[1] == 0
    local = local_pages.local_pages()
    break_connection(raw_redis, local.connection)
    # The reader gets the page from Redis, and keeps doing so while the tier
    # waits to reconnect.
    for _ in range(2):
        page, commands = fetch(sent, "/ports/4806/", reader)
        assert commands > 0
        assert page.content == first.content
    assert local.connection is None and not local.entries and not local.tokens
    clock.offset += local_pages.RECONNECT_SECONDS
    assert fetch(sent, "/ports/4806/")[1] > 0  # reconnected, starting empty
    assert fetch(sent, "/ports/4806/")[1] == 0
    # Invalidations arrive again.
    make_assignment("lateservice", 4806)
    raw_redis.set(token_key(4806), pickle.dumps(caching._token()))
    fresh, commands = fetch(sent, "/ports/4806/")
    assert commands > 0 and "lateservice" in fresh.text


# Expiry and the LRU bound ---------------------------------------------------------


def test_an_expired_entry_is_not_served_from_memory(tier, sent, clock):
    request = RequestFactory().get("/ports/4807/")
    scope = caching.Scope(port=4807)
    soon = timezone.now() + timedelta(seconds=60)

    def build():
        return caching.Page("<p>Port 4807</p>", expires_at=soon)

    caching._versions(*scope.keys)
    caching.cached_page(request, build, scope)
    clock.offset = 30
    before = len(sent)
    assert caching.cached_page(request, build, scope).content == b"<p>Port 4807</p>"
    assert len(sent) == before
    clock.offset = 61
    caching.cached_page(request, build, scope)
    assert len(sent) > before


def test_the_least_recently_used_page_is_dropped(tier, sent, settings):
    settings.PAGE_CACHE_LOCAL_ENTRIES = 2
    for path in ("/ports/4808/", "/ports/4809/", "/ports/4808/", "/ports/4810/"):
        fetch(sent, path)
    assert len(local_pages.local_pages().entries) == 2
    assert fetch(sent, "/ports/4808/")[1] == 0  # read again before 4810 came
    assert fetch(sent, "/ports/4810/")[1] == 0
    assert fetch(sent, "/ports/4809/")[1] > 0  # dropped


# Without the tier -----------------------------------------------------------------


def test_without_redis_there_is_no_tier(monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(local_pages, "_local", None)
    make_published_story(4811, title="From local memory cache")
    assert local_pages.local_pages() is None
    Client().get("/ports/4811/")
    with django_assert_num_queries(0):
        page = Client().get("/ports/4811/")
    assert page.status_code == 200 and "From local memory cache" in page.text
    assert local_pages._local is None


def test_the_tier_can_be_turned_off(tier, sent, settings):
    settings.PAGE_CACHE_LOCAL_ENTRIES = 0
    assert local_pages.local_pages() is None
    fetch(sent, "/ports/4812/")
    assert fetch(sent, "/ports/4812/")[1] > 0  # every hit from Redis
    assert local_pages._local is None


# A race ---------------------------------------------------------------------------


def test_a_change_drained_by_another_thread_during_a_build_is_not_lost(tier, raw_redis):
    """
    Threaded workers: reader A misses and builds the page; meanwhile the
    port's token changes elsewhere and reader B's lookup drains that
    invalidation; then A keeps its page under the token it read before.
    Without the tier the next reader gets a new page (the token in Redis no
    longer matches), and so should it with the tier.
    """
    factory = RequestFactory()
    scope = caching.Scope(port=4813)
    building, go_on = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        assert go_on.wait(5)
        return caching.Page("<p>old</p>")

    reader_a = threading.Thread(
        target=caching.cached_page,
        args=(factory.get("/ports/4813/"), slow_build, scope),
    )
    reader_a.start()
    assert building.wait(5)
    raw_redis.set(token_key(4813), pickle.dumps(caching._token()))
    assert local_pages.local_pages().connection.can_read(2)  # the message is here
    caching.lookup(factory.get("/ports/4814/"), caching.Scope(port=4814))  # B
    go_on.set()
    reader_a.join(5)
    response = caching.cached_page(
        factory.get("/ports/4813/"), lambda: caching.Page("<p>new</p>"), scope
    )
    assert response.content == b"<p>new</p>"


# The reader's CSRF secret ---------------------------------------------------------


def test_new_csrf_secrets_are_well_formed_and_distinct():
    drawn = [caching._new_csrf_secret() for _ in range(200)]
    assert len(set(drawn)) == len(drawn)
    for secret in drawn:
        assert len(secret) == CSRF_SECRET_LENGTH == 32
        assert set(secret) <= set(CSRF_ALLOWED_CHARS)


def test_new_csrf_secret_skips_bytes_that_would_bias_it(monkeypatch):
    draws = iter([bytes([255, 248] * 24), bytes(range(48)), bytes(range(48))])
    monkeypatch.setattr(caching.secrets, "token_bytes", lambda n: next(draws))
    assert caching._new_csrf_secret() == CSRF_ALLOWED_CHARS[:32]


@pytest.mark.parametrize("hit", [False, True], ids=["miss", "hit"])
def test_a_new_reader_gets_a_cookie_that_the_forms_token_matches(
    tier, sent, prompt, hit
):
    if hit:
        fetch(sent, "/ports/4815/")
    reader = Client(
        enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT=BROWSER
    )
    page, commands = fetch(sent, "/ports/4815/", reader)
    assert (commands == 0) is hit
    secret = page.cookies["csrftoken"].value
    assert csrf_input(page.text) == secret
    assert len(secret) == CSRF_SECRET_LENGTH
    # The same secret on the reader's next page: it is not rotated.
    again, _ = fetch(sent, "/ports/4815/", reader)
    assert csrf_input(again.text) == secret
    wrong = reader.post(
        "/ports/4815/feedback/",
        {"helpful": "yes", "csrfmiddlewaretoken": caching._new_csrf_secret()},
    )
    assert wrong.status_code == 403
    vote = reader.post(
        "/ports/4815/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": secret}
    )
    assert vote.status_code == 302


def test_a_connection_that_goes_quiet_is_found_out_by_the_heartbeat(
    tier, sent, clock, monkeypatch
):
    """A connection cut without a close or reset: no PONG, so the tier turns off."""
    reader = Client()
    make_published_story(4815, title="Heard from")
    first, _ = fetch(sent, "/ports/4815/", reader)
    assert fetch(sent, "/ports/4815/", reader)[1] == 0
    connection = local_pages.local_pages().connection
    send = connection.send_command

    def lost(*args, **kwargs):
        if args[:1] != ("PING",):
            send(*args, **kwargs)

    monkeypatch.setattr(connection, "send_command", lost)
    clock.offset = local_pages.HEARTBEAT_SECONDS + 1
    again, commands = fetch(sent, "/ports/4815/", reader)
    assert commands > 0  # from Redis, not from memory
    assert again.content == first.content
    assert local_pages.local_pages().connection is None
