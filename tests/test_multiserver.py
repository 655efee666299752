"""
Two app servers, one PostgreSQL and one Redis: whatever one server writes,
the other serves fresh. Nothing that matters lives in an app server.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from ports.choices import StoryStatus
from tests.factories import make_citation, make_story, make_user

REDIS_URL = os.environ.get("MULTISERVER_REDIS_URL", "redis://127.0.0.1:6379/12")
ROOT = Path(settings.BASE_DIR)

# serialized_rollback: the migrated groups (Reviewer…) are there before and after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shared_services():
    if connection.vendor != "postgresql":
        pytest.skip("two app servers need a database server: run on PostgreSQL")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    database = connection.settings_dict
    return {
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
    }


@pytest.fixture
def two_servers(shared_services, tmp_path):
    """Two gunicorn processes on different ports, sharing database, cache, media."""
    env = {
        **os.environ,
        **shared_services,
        "DEBUG": "true",
        # Every server signs with the same key (sessions, CSRF, auth hashes).
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PAGE_CACHE_SECONDS": "3600",
        "LOG_LEVEL": "WARNING",
    }
    servers = []
    for name in ("a", "b"):
        port = free_port()
        log = open(tmp_path / f"server-{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portwiki.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, base in servers:
            wait_until_up(process, base)
        yield [base for _, base in servers]
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=20)


def wait_until_up(process, base):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app server at {base} exited")
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the app server at {base} did not start")


class Browser:
    """Keeps its cookies across servers, as a browser behind a load balancer does."""

    def __init__(self, **cookies):
        self.cookies = dict(cookies)
        self.opener = urllib.request.build_opener()

    def open(self, url, data=None):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        request = urllib.request.Request(url, data=data, headers={"Cookie": cookie})
        with self.opener.open(request, timeout=10) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode()


def signed_in(user):
    """A session in the database, as a login on any server would leave it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def test_a_story_published_through_one_server_is_fresh_on_the_other(two_servers):
    server_a, server_b = two_servers
    reviewer = make_user("rita", role="Reviewer")
    story = make_story(4900, status=StoryStatus.IN_REVIEW, title="Shared-state story")
    make_citation(story)

    reader = Browser()
    status, before = reader.open(f"{server_b}/ports/4900/")
    assert status == 200 and "Shared-state story" not in before
    # Now cached in the shared Redis: the same page again (each server's has
    # its own address in its links), and nothing of this reader's in it.
    first_on_a = reader.open(f"{server_a}/ports/4900/")[1]
    for _ in range(3):
        assert reader.open(f"{server_b}/ports/4900/")[1] == before
        assert reader.open(f"{server_a}/ports/4900/")[1] == first_on_a
    assert reader.cookies == {}

    # The reviewer's session lives in the database: both servers know it.
    staff = Browser(**{settings.SESSION_COOKIE_NAME: signed_in(reviewer)})
    step = f"/admin/ports/story/{story.pk}/workflow/publish/"
    status, page = staff.open(server_b + step)
    assert status == 200 and "Shared-state story" in page
    staff.open(server_a + step)  # the CSRF cookie
    form = {
        "version": story.version,
        "comment": "",
        "csrfmiddlewaretoken": staff.cookies["csrftoken"],
    }
    staff.open(server_a + step, data=urllib.parse.urlencode(form).encode())
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED

    # Whichever of server B's workers answers, none serves its old copy.
    for _ in range(6):
        status, after = reader.open(f"{server_b}/ports/4900/")
        assert status == 200 and "Shared-state story" in after
    # And the listings on server B know it too.
    assert "Shared-state story" in reader.open(f"{server_b}/")[1]
