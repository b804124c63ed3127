"""Redis cache that fails soft.

The cache only speeds things up and counts API throttling; PostgreSQL holds
everything that matters. With Django's plain RedisCache a stopped Redis turns
every throttled API call into a 500, so here a Redis outage makes reads miss
and writes no-ops (logged), while ``/healthz/`` still reports the cache down.
Throttling fails open for the length of the outage: better than refusing the
public API.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError)


def _soft(method, fallback):
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _DOWN as exc:
            logger.warning("Redis 缓存不可用（%s），本次%s按未命中处理", type(exc).__name__, method.__name__)
            return fallback(*args) if callable(fallback) else fallback

    wrapper.__name__ = method.__name__
    return wrapper


class FailSoftRedisCacheClient(RedisCacheClient):
    add = _soft(RedisCacheClient.add, False)
    get = _soft(RedisCacheClient.get, lambda key, default: default)
    set = _soft(RedisCacheClient.set, None)
    touch = _soft(RedisCacheClient.touch, False)
    delete = _soft(RedisCacheClient.delete, False)
    get_many = _soft(RedisCacheClient.get_many, {})
    has_key = _soft(RedisCacheClient.has_key, False)
    set_many = _soft(RedisCacheClient.set_many, [])
    delete_many = _soft(RedisCacheClient.delete_many, None)
    clear = _soft(RedisCacheClient.clear, False)


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSoftRedisCacheClient
