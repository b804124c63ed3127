from django.core.cache.backends.redis import RedisCache

from credit_portal.cache import FailSoftRedisCache
from tests.faults.harness import free_port


def test_cache_with_redis_down_misses_instead_of_failing():
    cache = FailSoftRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False and cache.get_many(["a", "b"]) == {} and cache.has_key("k") is False
    assert isinstance(cache, RedisCache)
