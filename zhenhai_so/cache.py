"""The Redis cache, degrading instead of failing (issue 7, "when Redis fails").

Django's ``RedisCache`` raises on every connection error, so a Redis that is down or hung would
take down every page that touches the cache (the public pages' rate limit). This backend logs
the error, answers as an empty cache would, and stops asking Redis for ``RETRY_AFTER`` seconds,
so a page pays the connect timeout at most once per process and interval, not once per call.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


class DegradingRedisCache(RedisCache):
    RETRY_AFTER = 30.0
    _down_until = 0.0  # per process, shared by every instance: Redis is one server

    @staticmethod
    def is_down() -> bool:
        """True while Redis is taken for unreachable (the rate limiter then counts in the
        process, ``zhenhai_so.ratelimit``)."""
        return time.monotonic() < DegradingRedisCache._down_until

    def _call(self, method: str, default, *args, **kwargs):
        if time.monotonic() < DegradingRedisCache._down_until:
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except FAILURES as error:
            DegradingRedisCache._down_until = time.monotonic() + self.RETRY_AFTER
            logger.warning("cache unavailable, carrying on without it: %s", error)
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        # Without Redis nothing is counted: 1 is what a fresh counter would answer.
        return self._call("incr", delta, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
