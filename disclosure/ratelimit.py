"""A small fixed-window rate limit for the public pages, kept in the cache.

Every client address may make ``DISCLOSURE_RATE_LIMIT`` requests (60 by default) per
``DISCLOSURE_RATE_WINDOW`` seconds (60); further requests get 429 with a page in Chinese and a
``Retry-After`` header. With Redis as the cache the count is shared by every worker; with the
local-memory cache each process counts for itself, which still bounds a scraper.

The address is ``REMOTE_ADDR`` unless the portal sits behind ``AXES_IPWARE_PROXY_COUNT`` trusted
proxies (the same setting the login lock-out uses, env ``PROXY_COUNT``): then it is the entry of
``X-Forwarded-For`` that the outermost trusted proxy appended, which a client cannot forge.
"""

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

DEFAULT_LIMIT = 60
DEFAULT_WINDOW = 60


def client_address(request) -> str:
    """The client's address as far as the trusted proxies vouch for it."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it saw, so the client is `proxies` from the end.
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _cache_key(address: str, window_start: int) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"disclosure:rate:{digest}:{window_start}"


def hit(address: str, *, limit: int, window: int) -> tuple[bool, int]:
    """Count one request of the address; (allowed, seconds until the window ends)."""
    now = int(time.time())
    window_start = now - now % window
    key = _cache_key(address, window_start)
    # add() is atomic and a no-op when the key exists, so incr() never misses it.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return count <= limit, window_start + window - now


def rate_limited(view):
    """Refuse a client that exceeded the public pages' request budget with 429.

    Signed-in users are not counted: they are the bureau's own staff, identified and audited,
    and the limit exists against anonymous scraping.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        limit = getattr(settings, "DISCLOSURE_RATE_LIMIT", DEFAULT_LIMIT)
        window = getattr(settings, "DISCLOSURE_RATE_WINDOW", DEFAULT_WINDOW)
        allowed, retry_after = hit(client_address(request), limit=limit, window=window)
        if not allowed:
            response = render(
                request,
                "disclosure/rate_limited.html",
                {"retry_after": retry_after},
                status=429,
            )
            response["Retry-After"] = str(max(retry_after, 1))
            return response
        return view(request, *args, **kwargs)

    return wrapper
