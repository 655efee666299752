"""
Varnish in front of the site, as deploy/varnish/portwiki.vcl sets it up:
reader pages kept and purged by tag the moment they change, staff and
forms passed through to the app.
"""

import gzip
import http.client
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from bench.servers import VARNISH_VCL, varnish
from ports.editorial import actions
from ports.models import FeedbackVote
from tests.factories import make_published_story, make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def varnish_missing():
    if not shutil.which("varnishd"):
        return "varnishd is not installed (apt-get install varnish varnish-modules)"
    compiled = subprocess.run(
        ["varnishd", "-C", "-f", str(VARNISH_VCL)], capture_output=True, text=True
    )
    if compiled.returncode != 0:
        return f"the VCL does not compile here: {compiled.stderr.strip()[-300:]}"
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def front(live_server, settings):
    if reason := varnish_missing():
        pytest.skip(reason)
    port = free_port()
    backend_port = int(live_server.url.rsplit(":", 1)[1])
    settings.FRONT_CACHES = [
        {"BACKEND": "ports.cache.front.Varnish", "LOCATION": f"http://127.0.0.1:{port}"}
    ]
    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir).chmod(0o755)  # Varnish's worker runs unprivileged
        with varnish(port=port, backend_port=backend_port, workdir=workdir):
            yield Front(port)


class Front:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, response.headers, body.decode()

    def get(self, path, **headers):
        return self.request("GET", path, **headers)


def was_hit(headers):
    """Varnish names two requests in X-Varnish when it served a stored object."""
    return len(headers["X-Varnish"].split()) == 2


def test_reader_pages_are_kept_and_fresh_the_moment_a_story_is_published(front):
    story = make_published_story(4800, title="First title")
    status, headers, page = front.get("/ports/4800/")
    assert status == 200 and "First title" in page and not was_hit(headers)
    status, headers, page = front.get("/ports/4800/")
    assert was_hit(headers) and "First title" in page
    # The tags are for Varnish, not for readers.
    assert "Surrogate-Key" not in headers and "xkey" not in headers
    assert was_hit(front.get("/ports/4801/")[1]) is False
    assert was_hit(front.get("/ports/4801/")[1]) is True

    story.title = "Second title"
    story.save()
    actions.story_publish(story=story, by=None)

    status, headers, page = front.get("/ports/4800/")
    assert "Second title" in page and not was_hit(headers)
    # A port the change does not touch stays in Varnish.
    assert was_hit(front.get("/ports/4801/")[1])


def test_compressed_and_plain_readers_each_get_a_stored_copy(front):
    compressed = {"Accept-Encoding": "gzip, deflate, br"}
    front.get("/ports/4805/")
    front.get("/ports/4805/", **compressed)
    _status, plain, plain_page = front.get("/ports/4805/")
    _status, zipped, zipped_page = front.get("/ports/4805/", **compressed)
    assert was_hit(plain) and "Content-Encoding" not in plain
    assert was_hit(zipped) and zipped["Content-Encoding"] == "gzip"
    assert plain_page == zipped_page


def test_other_cookies_do_not_split_the_cache(front):
    front.get("/ports/4802/")
    _status, headers, _page = front.get("/ports/4802/", Cookie="csrftoken=abc; x=1")
    assert was_hit(headers)


def test_staff_pages_pass_through_to_the_app(front, client):
    make_published_story(4803)
    staff = make_user("editor", role="Editor")
    client.force_login(staff)
    session = client.cookies["sessionid"].value
    for _twice in range(2):
        _status, headers, _page = front.get(
            "/ports/4803/", Cookie=f"sessionid={session}"
        )
        assert not was_hit(headers)
        assert "no-store" in headers["Cache-Control"]


def test_feedback_posts_reach_the_app_and_count(front):
    origin = f"http://127.0.0.1:{front.port}"
    status, _headers, _body = front.request(
        "POST",
        "/ports/4804/feedback/",
        body="helpful=yes",
        **{
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Sec-Fetch-Site": "same-origin",
            "User-Agent": BROWSER,
        },
    )
    assert status == 302
    assert FeedbackVote.objects.filter(port_id=4804).count() == 1


def test_a_purge_names_its_tags(front):
    status, _headers, _body = front.request("PURGE", "/")
    assert status == 400
    status, _headers, body = front.request("PURGE", "/", **{"xkey-purge": "nothing"})
    assert status == 200 and "Purged 0" in body
