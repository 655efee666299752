"""
An optional read replica for the public site.

With DATABASE_REPLICA_URL set, settings add a "replica" database. Reads made
while serving a public request (a safe request without a session, marked by
ReplicaReadsMiddleware) go to it; everything else (writes, the admin,
management commands, tasks, signed-in staff) uses "default", so nobody reads
back their own write from a replica that lags behind. For REPLICA_LAG_SECONDS
after any change, public pages are built from "default" too: the page a
purge makes caches fetch again must not come from a replica that has not
caught up, or the caches would keep the old page under the new version.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

from ports.cache import page_cache

REPLICA = "replica"

_public_reads: ContextVar[bool] = ContextVar("public_reads", default=False)


@contextmanager
def public_reads(enabled: bool = True):
    """Within this block, reads may go to the replica."""
    token = _public_reads.set(enabled)
    try:
        yield
    finally:
        _public_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _public_reads.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as default.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _changed_lately(request) -> bool:
    try:
        change = page_cache.last_change(request)
    except Exception as error:  # without the cache, no telling: the primary
        page_cache.cache_failed(error)
        return True
    return change is None or time.time() - change[1] < settings.REPLICA_LAG_SECONDS


class ReplicaReadsMiddleware:
    """Public reads go to the read replica, when one is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = (
            REPLICA in settings.DATABASES
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not _changed_lately(request)
        )
        with public_reads(public):
            return self.get_response(request)
