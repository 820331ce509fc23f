"""Writes on users: each one validated, atomic, and recorded in the audit log (django-auditlog
records the field changes; the actor and address come from its middleware)."""

import secrets
import string

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import User
from .roles import Role

_TEMP_ALPHABET = string.ascii_letters + string.digits


def _sync_group(user: User) -> None:
    user.groups.set([Group.objects.get(name=user.role)])


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str,
    full_name: str = "",
    township=None,
    email: str = "",
    phone: str = "",
    must_change_password: bool = True,
) -> User:
    """Create a user with exactly one role; the password must be changed at first login."""
    user = User(
        username=username.strip(),
        full_name=full_name,
        role=role,
        township=township if role == Role.TOWNSHIP_OFFICE else None,
        email=email,
        phone=phone,
        must_change_password=must_change_password,
        password_changed_at=timezone.now(),
        is_staff=False,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    _sync_group(user)
    return user


@transaction.atomic
def user_update(
    *, user: User, role: str, township=None, full_name: str, email: str, phone: str, is_active: bool
) -> User:
    """Change a user's role, township, contact facts or active flag."""
    user.role = role
    user.township = township if role == Role.TOWNSHIP_OFFICE else None
    user.full_name = full_name
    user.email = email
    user.phone = phone
    user.is_active = is_active
    user.full_clean()
    user.save()
    _sync_group(user)
    return user


def temporary_password() -> str:
    """A random password meeting the rules: 14 characters with all four classes."""
    while True:
        candidate = (
            "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
            + "-"
            + str(secrets.randbelow(10))
        )
        if any(c.islower() for c in candidate) and any(c.isupper() for c in candidate):
            return candidate


@transaction.atomic
def user_reset_password(*, user: User) -> str:
    """Give the user a one-time password, to be changed at the next login; returns it."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    return password


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """Record that the user chose a new password themselves."""
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["must_change_password", "password_changed_at"])
