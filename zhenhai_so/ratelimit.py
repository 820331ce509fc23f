"""Who is asking, and how often: the one client-address function and the one rate limiter.

**The client's address** (:func:`client_address`) is used by the login lock-out (django-axes,
``AXES_CLIENT_IP_CALLABLE``), the login and public-page rate limits, the audit log's entries
(``zhenhai_so.middleware.AuditlogMiddleware``) and the security events. Forwarded headers are
trusted only when the portal sits behind ``PROXY_COUNT`` proxies (env ``PROXY_COUNT``): each
trusted proxy appends the address it saw to ``X-Forwarded-For``, so the client is the entry
``PROXY_COUNT`` from the end, which a client cannot forge. Without a proxy the header is ignored
(and so is ``X-Forwarded-Proto``: ``SECURE_PROXY_SSL_HEADER`` is set only behind one).

**The limiter** (:class:`TokenBucket`, after healthchecks' ``hc.api.models.TokenBucket``): each
key holds a bucket of ``capacity`` tokens that refills at ``capacity`` per ``window`` seconds;
a request takes one token and is refused when none is left. The buckets live in the cache, so
every worker shares them when the cache is Redis. When the cache cannot be reached the same
buckets are kept in the process (each worker limits for itself) rather than not at all. Reading
and writing a bucket is not one atomic step, so concurrent requests of one client may overshoot
the limit by a few; the limit bounds guessing, it is not an accounting. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

_KEY_PREFIX = "ratelimit:"
# The per-process buckets used while the cache is away; bounded so a flood of addresses
# cannot grow it without end (the oldest half is dropped when full).
_LOCAL_MAX = 10_000
_local: dict[str, tuple[float, float, bool]] = {}
_local_lock = threading.Lock()


def _valid_address(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's address as far as the trusted proxies vouch for it (None without one)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "PROXY_COUNT", 0) or 0
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = _valid_address(forwarded[-proxies])
            if address is not None:
                return address
    return _valid_address(remote) or remote or None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until a token is back (0 when allowed)
    first_refusal: bool  # the first refusal since the key was last allowed (log it once)


def _cache_is_down() -> bool:
    is_down = getattr(cache, "is_down", None)
    return bool(is_down and is_down())


class TokenBucket:
    """One limiter, a class method per use (as healthchecks' ``TokenBucket.authorize_*``)."""

    @staticmethod
    def authorize(key: str, *, capacity: int, window: int) -> Decision:
        """Take one token from the bucket of ``key`` (``capacity`` tokens, refilled in full over
        ``window`` seconds)."""
        capacity, window = max(int(capacity), 1), max(int(window), 1)
        rate = capacity / window  # tokens per second
        now = time.time()
        name = _KEY_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]
        state = None if _cache_is_down() else cache.get(name)
        if _cache_is_down():
            return TokenBucket._authorize_locally(name, capacity, rate, now, window)
        decision, state = TokenBucket._take(state, capacity, rate, now)
        cache.set(name, state, timeout=window + 1)
        if _cache_is_down():  # the cache went away during this request
            return TokenBucket._authorize_locally(name, capacity, rate, now, window)
        return decision

    @staticmethod
    def _take(state, capacity: int, rate: float, now: float):
        tokens, updated, refused = state if state else (float(capacity), now, False)
        tokens = min(float(capacity), tokens + max(now - updated, 0.0) * rate)
        if tokens >= 1.0:
            return Decision(True, 0, False), (tokens - 1.0, now, False)
        retry_after = max(math.ceil((1.0 - tokens) / rate), 1)
        return Decision(False, retry_after, not refused), (tokens, now, True)

    @staticmethod
    def _authorize_locally(name: str, capacity: int, rate: float, now: float, window: int):
        with _local_lock:
            if len(_local) >= _LOCAL_MAX:
                for old in list(_local)[: _LOCAL_MAX // 2]:
                    del _local[old]
            decision, _local[name] = TokenBucket._take(_local.get(name), capacity, rate, now)
        return decision

    @classmethod
    def authorize_login(cls, request) -> Decision:
        """Sign-in attempts per client address: ``LOGIN_RATE_LIMIT`` per ``LOGIN_RATE_WINDOW``
        seconds. django-axes locks one user name from one address after 5 failures; this
        bounds an address that tries many names."""
        return cls.authorize(
            f"login:{client_address(request) or ''}",
            capacity=settings.LOGIN_RATE_LIMIT,
            window=settings.LOGIN_RATE_WINDOW,
        )

    @classmethod
    def authorize_public_page(cls, request) -> Decision:
        """Anonymous requests to the public pages per client address: ``DISCLOSURE_RATE_LIMIT``
        per ``DISCLOSURE_RATE_WINDOW`` seconds."""
        return cls.authorize(
            f"public:{client_address(request) or ''}",
            capacity=settings.DISCLOSURE_RATE_LIMIT,
            window=settings.DISCLOSURE_RATE_WINDOW,
        )
