"""
The page cache's first tier: recent pages and their version tokens in each
app process's memory, kept exact by Redis itself.

A cache hit in Redis costs a network round trip, more than the rest of the
hit together. Redis's server-assisted client-side caching (CLIENT TRACKING
in broadcast mode, Redis 6 and later) tells a process about every change to
a key under the version tokens' prefix: the process keeps one connection of
its own that receives those invalidation messages, and reads whatever is
pending on it (a poll of the socket, no round trip) before it trusts a copy.
Redis sends the messages in the same turn of its event loop in which it
answers the write, so another server may serve the old page for about a
network round trip after the write, no longer. A flush of the database
empties the tier too, and a heartbeat every few seconds notices a connection
that died without a word.

Cached pages are only used while their version tokens are current, so only
the tokens need invalidating; pages are kept in a bounded LRU. Without Redis
(local memory cache), or when the connection breaks, the tier is off and
every lookup goes to the shared cache; after a break it starts empty.
"""

import os
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

# The version tokens' common prefix (ports.caching): the keys Redis tracks.
TOKEN_PREFIX = "pages:v:"
# More tokens than this (an import touching every port) and the tier
# forgets them all rather than grow.
MAX_TOKENS = 100_000
RECONNECT_SECONDS = 1.0
HEARTBEAT_SECONDS = 5.0


class LocalPages:
    def __init__(self, url: str, max_entries: int):
        self.url = url
        self.max_entries = max_entries
        self.tokens: dict[str, str] = {}
        self.entries: OrderedDict[str, dict] = OrderedDict()
        self.connection = None
        self.pid = None
        self.retry_at = 0.0
        self.heartbeat_at = 0.0
        # Counts invalidations (and forgetting): tokens read from Redis are
        # kept only if none came in meanwhile, which another thread may have
        # drained before they are stored.
        self.invalidations = 0
        self.lock = threading.Lock()
        self.redis_prefix = cache.make_key(TOKEN_PREFIX)

    # Invalidation ------------------------------------------------------------

    def _connect(self) -> bool:
        import redis

        if time.monotonic() < self.retry_at:
            return False
        self.forget()
        connection = redis.ConnectionPool.from_url(
            self.url, protocol=2, socket_timeout=1, socket_connect_timeout=1
        ).make_connection()
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            client_id = connection.read_response()
            # Messages about changes under the prefix, redirected to this
            # connection itself, which then only listens.
            connection.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
                "PREFIX", self.redis_prefix,
            )  # fmt: skip
            connection.read_response()
            connection.send_command("SUBSCRIBE", "__redis__:invalidate")
            connection.read_response()
        except redis.ResponseError:
            # A Redis before 6 has no tracking: the tier stays off.
            connection.disconnect()
            self.retry_at = float("inf")
            return False
        except (redis.RedisError, OSError):
            connection.disconnect()
            self.retry_at = time.monotonic() + RECONNECT_SECONDS
            return False
        self.connection = connection
        self.heartbeat_at = time.monotonic() + HEARTBEAT_SECONDS
        return True

    def _drain(self) -> bool:
        """Apply every pending invalidation; whether the copies can be trusted."""
        import redis

        if self.pid != os.getpid():  # a forked worker needs its own connection
            self.pid = os.getpid()
            self.connection = None
        if self.connection is None and not self._connect():
            return False
        try:
            while self.connection.can_read(0):
                self._read()
            if time.monotonic() >= self.heartbeat_at:
                # A connection cut without a close or reset reads as quiet:
                # a PING must come back (after any pending messages).
                self.connection.send_command("PING")
                while self._read() != b"pong":
                    pass
                self.heartbeat_at = time.monotonic() + HEARTBEAT_SECONDS
        except (redis.RedisError, OSError, ValueError):
            self.connection.disconnect()
            self.connection = None
            self.forget()
            self.retry_at = time.monotonic() + RECONNECT_SECONDS
            return False
        return True

    def _read(self) -> bytes:
        # ["message", channel, keys] or, to a PING, ["pong", ""].
        reply = self.connection.read_response()
        if reply[0] == b"message":
            self._invalidate(reply[2])
        return reply[0]

    def _invalidate(self, keys):
        self.invalidations += 1
        if keys is None:  # the database was flushed
            self.tokens.clear()
            return
        start = len(self.redis_prefix)
        for key in keys:
            self.tokens.pop(TOKEN_PREFIX + key.decode()[start:], None)

    def forget(self):
        self.invalidations += 1
        self.tokens.clear()
        self.entries.clear()

    # Lookups -----------------------------------------------------------------

    def get(self, key: str, token_names) -> tuple[dict | None, int | None]:
        """
        The page stored under `key` if it is current, and the count of
        invalidations so far to hand to `remember` (None: the tier is off).
        """
        with self.lock:
            if not self._drain():
                return None, None
            versions = [self.tokens.get(name) for name in token_names]
            entry = self.entries.get(key)
            if (
                None in versions
                or entry is None
                or entry["versions"] != versions
                or entry["expires"] <= time.time()
            ):
                return None, self.invalidations
            self.entries.move_to_end(key)
            return entry, self.invalidations

    def remember(self, seen, token_names, versions, key=None, entry=None):
        """
        Keep tokens read from the shared cache after `get` returned `seen`,
        and a current page. If an invalidation came in since, they may be
        older than it: nothing is kept. (An invalidation still pending is
        applied at the next lookup, before they are used.)
        """
        with self.lock:
            if (
                seen is None
                or seen != self.invalidations
                or self.connection is None
                or self.pid != os.getpid()
            ):
                return
            if len(self.tokens) > MAX_TOKENS:
                self.tokens.clear()
            self.tokens.update(zip(token_names, versions, strict=True))
            if entry is not None:
                self.entries[key] = entry
                self.entries.move_to_end(key)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)


_local = None


def local_pages() -> LocalPages | None:
    """This process's tier, or None where the page cache is not in Redis."""
    global _local
    entries = settings.PAGE_CACHE_LOCAL_ENTRIES
    url = settings.CACHES["default"].get("LOCATION")
    if entries <= 0 or "Redis" not in settings.CACHES["default"]["BACKEND"]:
        return None
    if _local is None or _local.url != url or _local.max_entries != entries:
        _local = LocalPages(url, entries)
    return _local
