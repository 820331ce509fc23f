"""Login helpers: the lock-out key, the password-age rule and the authentication backend."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.utils import timezone

from . import dataversion


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


# --- permissions kept in the cache -------------------------------------------------------------

PERMISSIONS_VERSION_KEY = "auth:permissions-version"
# A change made while the cache could not be reached cannot replace the version: the sets it
# leaves stale expire within this minute.
PERMISSIONS_TTL = 60


class PortalBackend(ModelBackend):
    """Django's ``ModelBackend`` with each user's permission set kept in the cache.

    Every signed-in page asks for the user's permissions (the side menu, the buttons a page
    offers), and ``ModelBackend`` reads them afresh on every request: two queries joining
    permissions, groups and content types, about a fifth of a plain page's server time. A role's
    permissions change only when a migration syncs them or a user's role changes, so the set is
    kept under a *permissions version* that every such change replaces (``bump_permissions``,
    connected by ``PortalConfig.ready``) and for at most ``PERMISSIONS_TTL`` seconds. As with
    the data version, nothing is read from or stored in the cache inside a transaction (a role
    change may still roll back) or when the cache is away; deactivation (``is_active``) is read
    with the user on every request, as before.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = self._cached_permissions(user_obj)
        return user_obj._perm_cache

    def _cached_permissions(self, user_obj) -> set[str]:
        return dataversion.cached(
            "permissions",
            (user_obj.pk, user_obj.is_superuser),
            lambda: ModelBackend.get_all_permissions(self, user_obj),
            version_key=PERMISSIONS_VERSION_KEY,
            timeout=PERMISSIONS_TTL,
        )


def _renew_permissions_version() -> None:
    dataversion.bump(PERMISSIONS_VERSION_KEY)


def bump_permissions(sender=None, using="default", **kwargs) -> None:
    """Signal receiver: who holds which permission may have changed; cached sets are stale now,
    and again once the transaction commits (a set computed meanwhile by another process read
    the old roles)."""
    dataversion.now_and_on_commit(_renew_permissions_version, connections[using or "default"])


def watch_permission_changes() -> None:
    """Connect ``bump_permissions`` to every change of a role's or a user's permissions: group
    membership, group and user permissions, groups and permissions themselves, and any save of
    a user (role, superuser flag)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(bump_permissions, sender=through, dispatch_uid=f"perms-{through}")
    for model in (Group, Permission, user_model):
        for signal in (post_save, post_delete):
            signal.connect(bump_permissions, sender=model, dispatch_uid=f"perms-{model}-{signal}")
