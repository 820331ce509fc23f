"""The public pages' rate limit: ``zhenhai_so.ratelimit.TokenBucket.authorize_public_page``.

Every client address may make ``DISCLOSURE_RATE_LIMIT`` requests (60 by default) per
``DISCLOSURE_RATE_WINDOW`` seconds (60); further requests get 429 with a page in Chinese and a
``Retry-After`` header. The address is ``zhenhai_so.ratelimit.client_address`` (honours
``PROXY_COUNT``).
"""

import functools

from django.shortcuts import render

from zhenhai_so.ratelimit import TokenBucket


def rate_limited(view):
    """Refuse a client that exceeded the public pages' request budget with 429.

    Signed-in users are not counted: they are the bureau's own staff, identified and audited,
    and the limit exists against anonymous scraping.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        decision = TokenBucket.authorize_public_page(request)
        if not decision.allowed:
            response = render(
                request,
                "disclosure/rate_limited.html",
                {"retry_after": decision.retry_after},
                status=429,
            )
            response["Retry-After"] = str(decision.retry_after)
            return response
        return view(request, *args, **kwargs)

    return wrapper
