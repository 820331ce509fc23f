"""三权分立: no administrator gains access he does not hold by role without a second person.

Creating an account, changing a role (or re-activating an account), resetting a password or a
second factor is a pending request; a security administrator who neither made the request nor
is its subject approves it; each step is a security event the audit administrator sees
(docs/security.md, finding P3). Every actor × target role × action is tried."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.models import User
from zhenhai_so.roles import Role
from zhenhai_so.security.models import AccountRequest, EventKind, SecurityEvent

ROLES = list(Role.values)
ACTIONS = ["create", "change", "reset_password", "reset_two_factor"]
REQUESTERS = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN]
OTHERS = [Role.AUDIT_ADMIN, Role.BUREAU_STAFF, Role.LEADER, Role.TOWNSHIP_OFFICE]


@pytest.fixture
def actor_of(role_users):
    return lambda role: role_users[role]


def _target(role, township):
    user = make_user(
        f"target_{role}", role, township=township if role == "township_office" else None
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def _attempt(client, action, role, target, township):
    """POST the action as the signed-in user; the target for create is a new name."""
    township_value = township.pk if role == Role.TOWNSHIP_OFFICE else ""
    if action == "create":
        return client.post(
            reverse("users:create"),
            {
                "username": f"new_{role}",
                "full_name": "新用户",
                "role": role,
                "township": township_value,
                "email": "",
                "phone": "",
            },
        )
    if action == "change":
        # a township office user is moved to the role (or, for that role, re-activated)
        return client.post(
            reverse("users:edit", args=[target.pk]),
            {
                "full_name": target.full_name,
                "role": role,
                "township": township_value,
                "email": "",
                "phone": "",
                "is_active": "on",
            },
        )
    name = "users:reset_password" if action == "reset_password" else "users:reset_2fa"
    return client.post(reverse(name, args=[target.pk]))


def _change_target(role, township):
    """For "change": a township office user to be given ``role``; for the township role, a
    disabled township office user to be re-activated."""
    user = make_user(f"changed_{role}", Role.TOWNSHIP_OFFICE, township=township)
    if role == Role.TOWNSHIP_OFFICE:
        user.is_active = False
        user.save()
    return user


def _state(user_pk):
    user = User.objects.filter(pk=user_pk).first()
    if user is None:
        return None
    return (
        user.role,
        user.is_active,
        user.password,
        TOTPDevice.objects.filter(user=user).count(),
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("actor_role", REQUESTERS)
def test_an_administrator_can_only_request_an_account_change(
    client, actor_of, township, actor_role, role, action
):
    actor = actor_of(actor_role)
    target = _change_target(role, township) if action == "change" else _target(role, township)
    before = _state(target.pk)
    client.force_login(actor)
    response = _attempt(client, action, role, target, township)
    assert response.status_code == 302, (
        getattr(response, "context", {}) and response.context.get("form").errors
    )
    assert response.url == reverse("users:requests")
    assert _state(target.pk) == before  # nothing changed yet
    assert not User.objects.filter(username=f"new_{role}").exists()
    pending = AccountRequest.objects.get()
    assert (pending.action, pending.role, pending.requested_by) == (action, role, actor)
    assert pending.state == AccountRequest.State.PENDING
    event = SecurityEvent.objects.filter(kind=EventKind.ACCOUNT_REQUEST).get()
    assert event.user == actor and action in event.detail


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor_role", OTHERS)
def test_nobody_else_may_even_ask(client, actor_of, township, actor_role, action):
    target = _target(Role.AUDIT_ADMIN, township)
    client.force_login(actor_of(actor_role))
    assert _attempt(client, action, Role.AUDIT_ADMIN, target, township).status_code == 403
    assert not AccountRequest.objects.exists()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_a_second_security_administrator_approves_and_the_change_happens(
    client, sysadmin, township, role, action
):
    approver = make_user("sec_admin_2", Role.SECURITY_ADMIN)
    target = _change_target(role, township) if action == "change" else _target(role, township)
    before = _state(target.pk)
    client.force_login(sysadmin)
    _attempt(client, action, role, target, township)
    pending = AccountRequest.objects.get()
    client.force_login(approver)
    response = client.post(reverse("users:request_approve", args=[pending.pk]))
    assert response.status_code == 200
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by) == (AccountRequest.State.APPROVED, approver)
    if action == "create":
        created = User.objects.get(username=f"new_{role}")
        assert created.role == role and created.must_change_password
        password = response.context["password"]
        assert password and created.check_password(password)
    elif action == "change":
        target.refresh_from_db()
        assert target.role == role and target.is_active
        assert target.groups.get().name == role
    elif action == "reset_password":
        target.refresh_from_db()
        assert target.check_password(response.context["password"])
        assert not target.check_password(TEST_PASSWORD)
    else:
        assert not TOTPDevice.objects.filter(user=target).exists()
    assert _state(target.pk) != before or action == "create"
    kinds = list(
        SecurityEvent.objects.filter(
            kind__in=[EventKind.ACCOUNT_REQUEST, EventKind.ACCOUNT_APPROVAL]
        ).values_list("kind", "user__username")
    )
    assert kinds == [
        (EventKind.ACCOUNT_APPROVAL, approver.username),
        (EventKind.ACCOUNT_REQUEST, sysadmin.username),
    ] or sorted(kinds) == sorted(
        [(EventKind.ACCOUNT_APPROVAL, approver.username), (EventKind.ACCOUNT_REQUEST, "sys_admin")]
    )


@pytest.mark.parametrize("approver_role", list(Role.values))
def test_only_a_security_administrator_who_did_not_ask_may_approve(
    client, actor_of, role_users, township, approver_role
):
    requester = actor_of(Role.SECURITY_ADMIN)
    target = _target(Role.AUDIT_ADMIN, township)
    client.force_login(requester)
    _attempt(client, "reset_password", Role.AUDIT_ADMIN, target, township)
    pending = AccountRequest.objects.get()
    client.force_login(role_users[approver_role])
    response = client.post(reverse("users:request_approve", args=[pending.pk]))
    # the one security administrator made the request himself: refused like everyone else
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.state == AccountRequest.State.PENDING
    target.refresh_from_db()
    assert target.check_password(TEST_PASSWORD)


def test_nobody_approves_a_request_about_his_own_account(client, sysadmin, secadmin, township):
    client.force_login(sysadmin)
    _attempt(client, "reset_password", Role.SECURITY_ADMIN, secadmin, township)
    pending = AccountRequest.objects.get()
    client.force_login(secadmin)
    assert client.post(reverse("users:request_approve", args=[pending.pk])).status_code == 403
    assert secadmin.__class__.objects.get(pk=secadmin.pk).check_password(TEST_PASSWORD)


def test_a_rejected_request_changes_nothing_and_is_logged(client, sysadmin, secadmin, township):
    target = _target(Role.AUDIT_ADMIN, township)
    client.force_login(sysadmin)
    _attempt(client, "reset_password", Role.AUDIT_ADMIN, target, township)
    pending = AccountRequest.objects.get()
    client.force_login(secadmin)
    response = client.post(
        reverse("users:request_reject", args=[pending.pk]), {"reason": "未核实身份"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == AccountRequest.State.REJECTED and pending.reason == "未核实身份"
    target.refresh_from_db()
    assert target.check_password(TEST_PASSWORD)
    assert SecurityEvent.objects.filter(
        kind=EventKind.ACCOUNT_APPROVAL, success=False, user=secadmin
    ).exists()
    # a decided request cannot be approved afterwards
    other = make_user("sec_admin_2", Role.SECURITY_ADMIN)
    client.force_login(other)
    client.post(reverse("users:request_approve", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.state == AccountRequest.State.REJECTED


def test_the_audit_administrator_sees_each_step(client, sysadmin, secadmin, auditor, township):
    target = _target(Role.AUDIT_ADMIN, township)
    client.force_login(sysadmin)
    _attempt(client, "reset_password", Role.AUDIT_ADMIN, target, township)
    client.force_login(secadmin)
    client.post(reverse("users:request_approve", args=[AccountRequest.objects.get().pk]))
    client.force_login(auditor)
    page = client.get(reverse("audit:list"), {"log": "events"}).content.decode()
    assert page.count("target_audit_admin") >= 2


def test_the_request_list_is_for_account_managers(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        expected = 200 if role in REQUESTERS else 403
        assert client.get(reverse("users:requests")).status_code == expected
