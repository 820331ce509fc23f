import auditlog.middleware
from django.shortcuts import redirect
from django.urls import reverse

from .auth import password_expired
from .ratelimit import client_address

# Pages a user whose password has expired may still open.
_ALLOWED = (
    "password_change",
    "password_change_done",
    "logout",
    "set_language",
    "javascript-catalog",
    # The second factor comes before the password change (zhenhai_so.security.middleware).
    "two_factor_setup",
    "two_factor_verify",
    "two_factor_recovery_codes",
)


class PasswordChangeRequiredMiddleware:
    """Send a user who must change the password (first login, or older than the maximum age) to
    the change form before any other page (等保 2.0; SECURITY.md item 3)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and password_expired(user):
            from .security.middleware import is_public

            match = _resolve(request.path_info)
            allowed = is_public(match) or (match is not None and match.url_name in _ALLOWED)
            if not allowed and not request.path_info.startswith(("/static/", "/media/")):
                return redirect(reverse("password_change"))
        return self.get_response(request)


def _resolve(path):
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)
    except Resolver404:
        return None


class AuditlogMiddleware(auditlog.middleware.AuditlogMiddleware):
    """django-auditlog's middleware with the portal's one client address: auditlog's own takes
    the first ``X-Forwarded-For`` entry whoever sent it, so a client could write any address
    into the audit entries of his edits (docs/security.md, finding P4)."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)

    @staticmethod
    def _get_remote_port(request):
        return None  # a forwarded port is the client's say-so, and auditlog needs none
