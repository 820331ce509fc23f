"""Login helpers: the lock-out key and the password-age rule."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def axes_username(request, credentials):
    """Count failed logins per lower-cased user name, so `Zhang` and `zhang` share a counter."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return (username or "").strip().lower()


def password_expired(user) -> bool:
    """True when the user must change the password before going on (SECURITY.md item 3)."""
    if user.must_change_password:
        return True
    max_age = timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
    return (
        user.password_changed_at is not None and timezone.now() - user.password_changed_at > max_age
    )
