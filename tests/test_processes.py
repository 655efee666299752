"""
Changes made by any process reach every server at once, in both setups the
README describes: the embedded one (`make run`: SQLite, the page cache in
files) and production's (PostgreSQL, Redis, gunicorn workers).

Each setup gets a database of its own, filled as `make run` fills it, and a
running server; then a story goes live through `manage.py publish_scheduled`,
the registry changes through `manage.py import_registry` and through a task
worker, and a reviewer publishes in the admin, each in a process of its own.
After each, the next request shows the change, in English, in Japanese and
in the RSS feed.
"""

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEMO_REGISTRY = (ROOT / "fixtures" / "demo_registry.csv").read_text()
POSTGRES = "postgres://postgres@127.0.0.1:5432"
PROCESS_DB = "portwiki_processes_test"
REDIS_URL = os.environ.get("PROCESSES_REDIS_URL", "redis://127.0.0.1:6379/13")
START_SECONDS = 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A database, a server on it, and `manage.py` in processes of their own."""

    def __init__(self, env, tmp_path):
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "TASKS_IMMEDIATE": "false",
            **env,
        }
        self.tmp_path = tmp_path
        self.port = free_port()
        self.server = None

    def manage(self, *args, stdin=None):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-c", code)

    def start(self, command):
        log = open(self.tmp_path / "server.log", "w")  # noqa: SIM115
        self.server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (
                self.tmp_path / "server.log"
            ).read_text()
            try:
                self.get("/robots.txt")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail("the server did not start")

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, 15)
            self.server.wait(timeout=20)

    def get(self, path, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()

    def page(self, path):
        status, _headers, body = self.get(path)
        assert status == 200, path
        return body


def embedded(tmp_path):
    """`make run`: SQLite in a file, the page cache in files, runserver."""
    site = Site(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CACHE_DIR": str(tmp_path / "cache"),
        },
        tmp_path,
    )
    site.command = [
        sys.executable, "manage.py", "runserver", f"127.0.0.1:{site.port}",
    ]  # fmt: skip
    return site


def production(tmp_path):
    """PostgreSQL, Redis and gunicorn with two workers."""
    import psycopg
    import redis

    try:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PROCESS_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PROCESS_DB}"')
    except psycopg.Error as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {error}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    site = Site(
        {"DATABASE_URL": f"{POSTGRES}/{PROCESS_DB}", "REDIS_URL": REDIS_URL},
        tmp_path,
    )
    site.command = [
        sys.executable, "-m", "gunicorn", "portwiki.wsgi",
        "--workers", "2", "--bind", f"127.0.0.1:{site.port}",
    ]  # fmt: skip
    return site


@pytest.fixture(params=[embedded, production], ids=["embedded", "production"])
def site(request, tmp_path):
    site = request.param(tmp_path)
    site.manage("compile_translations")
    site.manage("migrate", "--noinput")
    site.manage("load_demo")
    site.start(site.command)
    try:
        yield site
    finally:
        site.stop()
        if request.param is production:
            import psycopg

            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PROCESS_DB}" WITH (FORCE)')
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def read_twice(site, *paths):
    """Each page read, then read again (now from the cache)."""
    for path in paths:
        first = site.page(path)
        assert site.page(path) == first
    return [site.page(path) for path in paths]


SCHEDULE = """
from datetime import timedelta
from django.utils import timezone
from ports.editorial import actions
from ports.models import Story
story = Story.objects.get(port_id=1381)
story.title_en = "A scheduled new version"
story.title_ja = "予定された新しい版"
story.save()
actions.story_publish(story=story, by=None, at=timezone.now() + timedelta(seconds=2))
"""


NEW_TITLES = {
    "/ports/1381/": "A scheduled new version",
    "/ja/ports/1381/": "予定された新しい版",
    "/feeds/stories.rss": "A scheduled new version",
    "/": "A scheduled new version",
}


def test_a_scheduled_version_goes_live_from_the_command_line(site):
    before = read_twice(site, *NEW_TITLES)
    for page, title in zip(before, NEW_TITLES.values(), strict=True):
        assert title not in page
    site.shell(SCHEDULE)
    # Approved for later: readers keep the live version until it is due.
    assert "A scheduled new version" not in site.page("/ports/1381/")
    time.sleep(2.5)
    site.manage("publish_scheduled")
    for path, title in NEW_TITLES.items():
        assert title in site.page(path), path


def test_a_registry_import_from_the_command_line(site, tmp_path):
    read_twice(site, "/ports/373/", "/ja/ports/373/")
    changed = tmp_path / "registry.csv"
    changed.write_text(DEMO_REGISTRY.replace("Legent Corporation", "Legent Renamed"))
    site.manage("import_registry", str(changed))
    for path in ("/ports/373/", "/ja/ports/373/"):
        assert "Legent Renamed" in site.page(path), path


QUEUE_IMPORT = """
import hashlib
from pathlib import Path
from django.conf import settings
from django.utils.module_loading import import_string
from ports import tasks
from ports.registry import importing
data = Path({path!r}).read_bytes()
storage = import_string(settings.IMPORT_EXPORT_TMP_STORAGE_CLASS)(
    read_mode="rb", encoding=None
)
storage.save(data)
plan = importing.plan_import(data, file_name="queued.csv")
tasks.registry_import.enqueue(
    stored_name=storage.name,
    sha256=hashlib.sha256(data).hexdigest(),
    file_name="queued.csv",
    skip_invalid=False,
    fingerprint=plan.fingerprint(),
    user_id=None,
)
"""


def test_a_registry_import_in_the_task_worker(site, tmp_path):
    read_twice(site, "/ports/548/", "/ja/ports/548/")
    changed = tmp_path / "registry.csv"
    changed.write_text(DEMO_REGISTRY.replace("AFP over TCP", "AFP renamed"))
    site.shell(QUEUE_IMPORT.format(path=str(changed)))
    assert "AFP renamed" not in site.page("/ports/548/")  # queued, not run
    site.manage("db_worker", "--batch", "--no-startup-delay")
    for path in ("/ports/548/", "/ja/ports/548/"):
        assert "AFP renamed" in site.page(path), path


IN_REVIEW = """
from django.contrib.auth.models import Group, User
from ports.editorial import actions
from ports.models import Port, Story
reviewer = User.objects.create_user(
    "rita", password="a long reviewer password", is_staff=True
)
reviewer.groups.add(Group.objects.get(name="Reviewer"))
Port.objects.ensure([3283])
story = Story.objects.create(
    port_id=3283,
    title="Edited and published in the admin",
    summary="A story written for this test.",
    body="The port's story, in a sentence.",
)
actions.story_submit(story=story, by=reviewer)
print(story.pk, Story.objects.get(pk=story.pk).version)
"""


class Browser:
    """A signed-in browser: cookies kept, forms posted with the CSRF token."""

    def __init__(self, site):
        self.site, self.cookies = site, {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=10)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Origin": f"http://127.0.0.1:{self.site.port}",
            "Referer": f"http://127.0.0.1:{self.site.port}{path}",
        }
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.read().decode()


def test_a_story_published_in_the_admin(site):
    read_twice(site, "/ports/3283/", "/feeds/stories.rss", "/")
    pk, version = site.shell(IN_REVIEW).split()
    reviewer = Browser(site)
    reviewer.request("GET", "/admin/login/")
    status, _ = reviewer.request(
        "POST",
        "/admin/login/?next=/admin/",
        {"username": "rita", "password": "a long reviewer password"},
    )
    assert status == 302 and "sessionid" in reviewer.cookies
    step = f"/admin/ports/story/{pk}/workflow/publish/"
    status, page = reviewer.request("GET", step)
    assert status == 200
    status, _ = reviewer.request("POST", step, {"version": version, "comment": ""})
    assert status == 302
    for path in ("/ports/3283/", "/feeds/stories.rss", "/"):
        assert "Edited and published in the admin" in site.page(path), path
