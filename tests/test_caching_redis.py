"""The Redis cache backend: Django's, with one Redis client per pool."""

import os

import pytest
from django.core.cache import caches
from django.test import override_settings

REDIS_URL = os.environ.get("CACHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
REDIS = {
    "default": {
        "BACKEND": "ports.cache.redis.PooledClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portwiki-test",
    }
}


@pytest.fixture
def redis_cache():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    with override_settings(CACHES=REDIS):
        cache = caches["default"]
        cache.clear()
        yield cache
        cache.clear()


def test_the_backend_stores_and_reads_like_djangos(redis_cache):
    redis_cache.set("a", {"page": b"x" * 1000}, 60)
    redis_cache.set_many({"b": 2, "c": 3}, 60)
    assert redis_cache.get("a") == {"page": b"x" * 1000}
    assert redis_cache.get_many(["a", "b", "c", "missing"]) == {
        "a": {"page": b"x" * 1000},
        "b": 2,
        "c": 3,
    }
    assert redis_cache.add("b", 5) is False
    redis_cache.delete("b")
    assert redis_cache.get("b") is None


def test_one_client_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client("some-key") is client
