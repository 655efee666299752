"""The read replica router: public reads to the replica, everything else to default."""

import pytest
from django.test import Client, RequestFactory, override_settings

from ports import routers
from ports.middleware import ReplicaReadsMiddleware
from ports.models import Port, Story

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
    seen = []

    def view(request):
        seen.append(routers._public_reads.get())
        return None

    request = getattr(RequestFactory(), method)("/ports/80/")
    request.COOKIES.update(cookies)
    ReplicaReadsMiddleware(view)(request)
    assert seen == [public]
    assert routers._public_reads.get() is False  # reset after the request


@pytest.mark.django_db
def test_pages_render_through_the_router():
    # The router is installed in settings; without a replica all reads use
    # default, and the site works as before.
    assert Client().get("/ports/80/").status_code == 200
