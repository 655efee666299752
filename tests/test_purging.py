"""
Purging front caches by tag: what is sent, and that a cache which refuses,
times out or is down never fails a change and gets the purge again later.
"""

import http.server
import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.test import Client
from django.utils import timezone

from ports import tasks
from ports.cache import front, purging, tags
from ports.editorial import actions
from ports.models import FeedbackPrompt
from ports.registry import importing
from tests.factories import make_published_story, make_story, registry_csv

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


class FakeVarnish(http.server.BaseHTTPRequestHandler):
    """Answers PURGE as Varnish does, or as told to fail."""

    answer = 200
    delay = 0.0
    purges: list

    def do_PURGE(self):  # noqa: N802 (the HTTP method's name)
        time.sleep(self.delay)
        self.purges.append(self.headers["xkey-purge"])
        self.send_response(self.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_varnish():
    handler = type("Handler", (FakeVarnish,), {"purges": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def front_cache(settings):
    def use(location, timeout=1.0):
        settings.FRONT_CACHES = [
            {
                "BACKEND": "ports.cache.front.Varnish",
                "LOCATION": location,
                "TIMEOUT": timeout,
            }
        ]

    return use


def test_publishing_purges_the_story_its_related_ports_and_listings(
    fake_varnish, front_cache
):
    handler, location = fake_varnish
    front_cache(location)
    story = make_story(4600, title="Purged story")
    story.related_ports.create(port_id=make_published_story(4601).port_id)
    handler.purges.clear()
    actions.story_publish(story=story, by=None)
    # Tasks run at once here, so no open data export follows (and purges
    # its tag): tests/test_downloads.py.
    assert handler.purges == ["listings port-4600 port-4601"]


def test_an_import_purges_what_it_touched(fake_varnish, front_cache):
    handler, location = fake_varnish
    front_cache(location)
    rows = [[f"s{n}", str(n), "tcp", f"Service {n}"] for n in range(4700, 4800, 10)]
    importing.import_registry(registry_csv(*rows), file_name="a.csv")
    handler.purges.clear()
    rows[5][3] = "Changed"
    importing.import_registry(registry_csv(*rows), file_name="b.csv")
    # The open data export after an import purges its own tag (tests/test_api.py).
    (sent,) = [tags_sent for tags_sent in handler.purges if tags_sent != tags.DATA]
    # The changed port, the ports whose nearby list shows it, the listings,
    # the registry changes pages.
    assert sent.split() == [
        "listings",
        *(tags.port_tag(n) for n in range(4720, 4790)),
        "registry",
    ]
    handler.purges.clear()
    importing.import_registry(registry_csv(*rows), file_name="b.csv")
    assert handler.purges == []  # nothing changed, nothing purged


def test_the_feedback_prompt_purges_every_port_page(fake_varnish, front_cache):
    handler, location = fake_varnish
    front_cache(location)
    FeedbackPrompt.objects.create(question="Q", yes_label="Y", no_label="N", thanks="T")
    assert handler.purges == ["ports"]


def test_many_tags_go_in_several_requests(fake_varnish, front_cache):
    handler, location = fake_varnish
    front_cache(location)
    many = [tags.port_tag(n) for n in range(1000)]
    purging.purge_now(many)
    assert [len(sent.split()) for sent in handler.purges] == [400, 400, 200]
    assert sorted(" ".join(handler.purges).split()) == sorted(many)


@pytest.mark.parametrize("failure", ["refused", "down", "timeout"])
def test_a_front_cache_that_fails_never_fails_the_change(
    fake_varnish, front_cache, settings, caplog, failure
):
    handler, location = fake_varnish
    settings.TASKS = DUMMY_TASKS
    if failure == "refused":
        handler.answer = 403
    elif failure == "down":
        location = f"http://127.0.0.1:{closed_port()}"
    else:
        handler.delay = 3
    front_cache(location, timeout=0.3)
    story = make_story(4610, title="Still published")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="ports.cache.purging"):
        actions.story_publish(story=story, by=None)
    assert time.monotonic() - started < 2.5  # a short timeout, not the cache's pace
    story.refresh_from_db()
    assert story.live_revision_id is not None
    assert "Still published" in Client().get("/ports/4610/").content.decode()
    assert "port-4610" in caplog.text and "failed" in caplog.text
    # The purge waits in the task queue, to be retried in ten seconds (beside
    # the open data export the publish queued).
    export, queued = sorted(
        default_task_backend.results,
        key=lambda result: result.task.func is purging.purge_again.func,
    )
    assert export.task.func is tasks.export_open_data.func
    assert queued.task.func is purging.purge_again.func
    assert queued.kwargs["cache"] == front.Varnish(location=location).name
    assert "port-4610" in queued.kwargs["tags"] and queued.kwargs["attempt"] == 1
    assert queued.task.run_after - timezone.now() > timedelta(seconds=5)


def test_a_retried_purge_that_succeeds_is_done(fake_varnish, front_cache, settings):
    handler, location = fake_varnish
    settings.TASKS = DUMMY_TASKS
    front_cache(location)
    name = front.Varnish(location=location).name
    assert purging.purge_again.call(cache=name, tags=["port-1"], attempt=1) is True
    assert handler.purges == ["port-1"]
    assert default_task_backend.results == []


def test_retries_stop_after_the_last_attempt(front_cache, settings, caplog):
    settings.TASKS = DUMMY_TASKS
    location = f"http://127.0.0.1:{closed_port()}"
    front_cache(location, timeout=0.3)
    name = front.Varnish(location=location).name
    last = len(purging.RETRY_SECONDS)
    with caplog.at_level(logging.ERROR, logger="ports.cache.purging"):
        assert (
            purging.purge_again.call(cache=name, tags=["port-1"], attempt=last) is False
        )
    assert "Gave up purging port-1" in caplog.text
    assert default_task_backend.results == []


def test_without_a_deferring_task_backend_the_failure_is_logged(
    front_cache, settings, caplog
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    front_cache(f"http://127.0.0.1:{closed_port()}", timeout=0.3)
    with caplog.at_level(logging.ERROR, logger="ports.cache.purging"):
        purging.purge_now(["port-9"])
    assert "is not retried" in caplog.text


def test_a_purge_for_a_cache_no_longer_configured_is_dropped(settings, caplog):
    settings.FRONT_CACHES = []
    assert (
        purging.purge_again.call(cache="http://gone/", tags=["x"], attempt=1) is False
    )


def test_purge_pages_purges_everything_or_the_ports_given(fake_varnish, front_cache):
    from django.core.management import call_command

    handler, location = fake_varnish
    front_cache(location)
    call_command("purge_pages", verbosity=0)
    call_command("purge_pages", "373", "80", verbosity=0)
    assert handler.purges == ["site", "listings port-373 port-80"]


def test_purge_pages_refuses_what_is_not_a_port(fake_varnish, front_cache):
    from django.core.management import CommandError, call_command

    handler, location = fake_varnish
    front_cache(location)
    with pytest.raises(CommandError, match="Not port numbers .*: 70000"):
        call_command("purge_pages", "80", "70000", verbosity=0)
    assert handler.purges == []
