"""
An optional read replica for the public site.

With DATABASE_REPLICA_URL set, settings add a "replica" database. Reads made
while serving a public request (a safe request without a session, marked by
ports.middleware.ReplicaReadsMiddleware) go to it; everything else (writes,
the admin, management commands, tasks, signed-in staff) uses "default", so
nobody reads back their own write from a replica that lags behind.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

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
