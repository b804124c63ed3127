"""Redis cache that fails soft.

The cache only speeds things up and counts rate limits; PostgreSQL holds
everything that matters. With Django's plain RedisCache a stopped Redis turns
every throttled API call and every rate-limited page into a 500, so here a
Redis outage makes reads miss and writes no-ops (logged), while ``/healthz/``
still reports the cache down.

Rate limits fail open for the length of the outage, and say so in the log:
``incr`` answers as if the counter had just been created, so
django-ratelimit counts every request as the first of its window. Better than
refusing the public portal because a counter is out of reach.

Only the cache's public methods are overridden (no private ``_class``
swap), so a Django upgrade that changes the client class cannot silently
bypass this.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError)


def _soft(fallback):
    """Decorator: on a Redis outage log and answer ``fallback(*args, **kwargs)`` (or the value itself)."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _DOWN as exc:
                logger.warning("Redis 缓存不可用（%s），本次%s按未命中处理", type(exc).__name__, method.__name__)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return wrapper

    return decorator


def _default(key, default=None, *args, **kwargs):
    return default


def _fresh_counter(key, delta=1, *args, **kwargs):
    logger.warning("Redis 缓存不可用：限流计数暂停，请求按放行处理")
    return delta


class FailSoftRedisCache(RedisCache):
    @_soft(False)
    def add(self, *args, **kwargs):
        return super().add(*args, **kwargs)

    @_soft(_default)
    def get(self, *args, **kwargs):
        return super().get(*args, **kwargs)

    @_soft(None)
    def set(self, *args, **kwargs):
        return super().set(*args, **kwargs)

    @_soft(False)
    def touch(self, *args, **kwargs):
        return super().touch(*args, **kwargs)

    @_soft(False)
    def delete(self, *args, **kwargs):
        return super().delete(*args, **kwargs)

    @_soft(lambda *args, **kwargs: {})
    def get_many(self, *args, **kwargs):
        return super().get_many(*args, **kwargs)

    @_soft(False)
    def has_key(self, *args, **kwargs):
        return super().has_key(*args, **kwargs)

    @_soft(_fresh_counter)
    def incr(self, *args, **kwargs):
        return super().incr(*args, **kwargs)

    @_soft(lambda data, *args, **kwargs: list(data))  # every key counts as not stored
    def set_many(self, *args, **kwargs):
        return super().set_many(*args, **kwargs)

    @_soft(None)
    def delete_many(self, *args, **kwargs):
        return super().delete_many(*args, **kwargs)

    @_soft(False)
    def clear(self, *args, **kwargs):
        return super().clear(*args, **kwargs)
