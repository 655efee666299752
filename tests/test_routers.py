"""The read replica router: public reads to the replica, everything else to default."""

import time

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from ports import routers
from ports.cache.page_cache import CHANGE_KEY, PageCache
from ports.models import Port, Story
from ports.routers import ReplicaReadsMiddleware

REPLICA = {"default": {}, "replica": {}}


@pytest.fixture
def router():
    return routers.ReplicaRouter()


def test_without_a_replica_everything_uses_default(router):
    with routers.public_reads():
        assert router.db_for_read(Port) == "default"
    assert router.db_for_write(Port) == "default"


@override_settings(DATABASES=REPLICA)
def test_public_reads_go_to_the_replica_and_writes_never_do(router):
    assert router.db_for_read(Story) == "default"
    with routers.public_reads():
        assert router.db_for_read(Story) == "replica"
        assert router.db_for_write(Story) == "default"
        with routers.public_reads(False):  # nested: back to default
            assert router.db_for_read(Story) == "default"
        assert router.db_for_read(Story) == "replica"
    assert router.db_for_read(Story) == "default"


def test_migrations_only_run_on_default(router):
    assert router.allow_migrate("default", "ports") is True
    assert router.allow_migrate("replica", "ports") is False


def reads_public(request, *, databases=REPLICA):
    """Whether the request's reads went to the replica."""
    router = routers.ReplicaRouter()
    seen = []

    def view(request):
        seen.append(router.db_for_read(Port))
        return None

    with override_settings(DATABASES=databases):
        ReplicaReadsMiddleware(view)(request)
        assert router.db_for_read(Port) == "default"  # after the request
    return seen == ["replica"]


def long_ago():
    """The last change was made long before the replica's worst lag."""
    cache.set(CHANGE_KEY, ("earlier", time.time() - 3600), None)


@override_settings(DATABASES=REPLICA)
@pytest.mark.parametrize(
    ("method", "cookies", "public"),
    [
        ("get", {}, True),
        ("head", {}, True),
        ("post", {}, False),
        ("get", {"sessionid": "x"}, False),
    ],
)
def test_the_middleware_marks_only_anonymous_safe_requests_public(
    method, cookies, public
):
    long_ago()
    request = getattr(RequestFactory(), method)("/ports/80/")
    request.COOKIES.update(cookies)
    assert reads_public(request) is public


def test_without_a_replica_nothing_is_marked_public():
    long_ago()
    request = RequestFactory().get("/ports/80/")
    assert reads_public(request, databases={"default": {}}) is False


@override_settings(DATABASES=REPLICA, REPLICA_LAG_SECONDS=10)
def test_pages_are_read_from_the_primary_for_a_while_after_a_change():
    # A purge makes caches fetch the page again at once: the replica may not
    # have the change yet, and the caches would keep the old page.
    long_ago()
    assert reads_public(RequestFactory().get("/ports/80/")) is True
    PageCache().purge(["port-80"])
    assert reads_public(RequestFactory().get("/ports/80/")) is False
    cache.set(CHANGE_KEY, ("later", time.time() - 11), None)
    assert reads_public(RequestFactory().get("/ports/80/")) is True


@override_settings(DATABASES=REPLICA)
def test_without_the_cache_pages_are_read_from_the_primary(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    assert reads_public(RequestFactory().get("/ports/80/")) is False


@pytest.mark.django_db
def test_pages_render_through_the_router():
    # The router is installed in settings; without a replica all reads use
    # default, and the site works as before.
    assert Client().get("/ports/80/").status_code == 200
