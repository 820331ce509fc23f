"""三权分立 for accounts: what an administrator may do at once, and what takes a second person.

The rule (docs/security.md, finding P3):

- An account manager (``zhenhai_so.manage_users``: the system and the security administrator)
  may at once edit a user's name, e-mail and phone, **disable** an account and lift a lock-out:
  none of these gives anybody access.
- Everything that gives access is a **request**: creating an account (of any role: every role
  either administers or reads business data), changing a role, re-activating a disabled
  account, resetting a password or a second factor. The request changes nothing.
- A **security administrator** (``zhenhai_so.manage_security``) approves or rejects it, but
  never his own request nor one about his own account. The one-time password of a new or reset
  account is shown to the approver only, once; the requester never sees it.
- Each step (request, approval, rejection) is a security event the audit administrator sees.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from zhenhai_so import services as user_services
from zhenhai_so.models import User

from .models import AccountRequest, EventKind
from .services import record_event

DECIDE_PERMISSION = "zhenhai_so.manage_security"
REQUEST_PERMISSION = "zhenhai_so.manage_users"


class RequestAlreadyDecided(Exception):
    """Approving or rejecting a request that is no longer pending."""


def _detail(account_request: AccountRequest, extra: str = "") -> str:
    text = (
        f"{account_request.action}: {account_request.username} as {account_request.role}, "
        f"requested by {account_request.requested_by.get_username()}"
    )
    return f"{text}; {extra}"[:500] if extra else text[:500]


def township_by_pk(pk):
    """The township of a request's payload (the user model's own relation, so this module needs
    no import of the registry app)."""
    if not pk:
        return None
    return User._meta.get_field("township").related_model.objects.filter(pk=pk).first()


def change_needs_approval(*, account: User, role: str, is_active: bool) -> bool:
    """A change of the user form that gives access: a new role, or a disabled account enabled."""
    return role != account.role or (is_active and not account.is_active)


@transaction.atomic
def account_request_create(
    *,
    request,
    requested_by: User,
    action: str,
    role: str,
    account: User | None = None,
    username: str = "",
    payload: dict | None = None,
) -> AccountRequest:
    """Record a pending request (and its security event); changes no account."""
    if not requested_by.has_perm(REQUEST_PERMISSION):
        raise PermissionDenied
    account_request = AccountRequest(
        action=action,
        account=account,
        username=account.get_username() if account is not None else username,
        role=role,
        payload=payload or {},
        requested_by=requested_by,
    )
    account_request.full_clean()
    account_request.save()
    record_event(
        request,
        EventKind.ACCOUNT_REQUEST,
        account if account is not None else account_request,
        user=requested_by,
        detail=_detail(account_request),
    )
    return account_request


def may_decide(*, user: User, account_request: AccountRequest) -> bool:
    """A security administrator, not the requester, not the account's own user."""
    return (
        user.has_perm(DECIDE_PERMISSION)
        and user.pk != account_request.requested_by_id
        and (account_request.account_id is None or user.pk != account_request.account_id)
    )


def _lock_pending(account_request: AccountRequest, user: User) -> AccountRequest:
    locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if not may_decide(user=user, account_request=locked):
        raise PermissionDenied
    if locked.state != AccountRequest.State.PENDING:
        raise RequestAlreadyDecided
    return locked


@transaction.atomic
def account_request_approve(
    *, request, account_request: AccountRequest, approver: User
) -> tuple[AccountRequest, str | None]:
    """Carry out a pending request as the approver; returns it and the one-time password of a
    created or reset account (to be shown to the approver once), else None."""
    account_request = _lock_pending(account_request, approver)
    payload, password = account_request.payload, None
    action = account_request.action
    if action == AccountRequest.Action.CREATE:
        password = user_services.temporary_password()
        account = user_services.user_create(
            username=account_request.username,
            role=account_request.role,
            password=password,
            full_name=payload.get("full_name", ""),
            township=township_by_pk(payload.get("township_id")),
            email=payload.get("email", ""),
            phone=payload.get("phone", ""),
            must_change_password=True,
        )
        account_request.account = account
    elif action == AccountRequest.Action.CHANGE:
        account = User.objects.select_for_update().get(pk=account_request.account_id)
        user_services.user_update(
            user=account,
            role=account_request.role,
            township=township_by_pk(payload.get("township_id")),
            full_name=payload.get("full_name", account.full_name),
            email=payload.get("email", account.email),
            phone=payload.get("phone", account.phone),
            is_active=payload.get("is_active", account.is_active),
        )
    elif action == AccountRequest.Action.RESET_PASSWORD:
        password = user_services.user_reset_password(user=account_request.account)
    else:
        from .otp import two_factor_reset

        two_factor_reset(request=request, user=account_request.account)
    account_request.state = AccountRequest.State.APPROVED
    account_request.decided_by, account_request.decided_at = approver, timezone.now()
    account_request.save()
    record_event(
        request,
        EventKind.ACCOUNT_APPROVAL,
        account_request.account,
        user=approver,
        detail=_detail(account_request, "approved"),
    )
    return account_request, password


@transaction.atomic
def account_request_reject(
    *, request, account_request: AccountRequest, approver: User, reason: str = ""
) -> AccountRequest:
    """Turn a pending request down; nothing changes but the request (and its event)."""
    account_request = _lock_pending(account_request, approver)
    account_request.state = AccountRequest.State.REJECTED
    account_request.decided_by, account_request.decided_at = approver, timezone.now()
    account_request.reason = reason[:500]
    account_request.full_clean()
    account_request.save()
    record_event(
        request,
        EventKind.ACCOUNT_APPROVAL,
        account_request.account or account_request,
        success=False,
        user=approver,
        detail=_detail(account_request, f"rejected: {reason}"),
    )
    return account_request
