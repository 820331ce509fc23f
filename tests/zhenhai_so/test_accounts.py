"""Accounts: roles as groups, case-insensitive names, lock-out, forced password change, user
management by administrators."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.models import User
from zhenhai_so.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS)


def test_user_holds_exactly_the_group_of_their_role(staff):
    assert list(staff.groups.values_list("name", flat=True)) == [Role.BUREAU_STAFF]


def test_leader_has_no_change_permission(leader):
    perms = leader.get_all_permissions()
    assert perms, "leaders read everything"
    assert not [p for p in perms if p.split(".")[1].startswith(("add_", "change_", "delete_"))]


def test_administrators_read_no_business_data(sysadmin, secadmin, auditor):
    for user in (secadmin, auditor):
        assert not user.has_perm("registry.view_organisation")
    assert not sysadmin.has_perm("registry.view_organisation")


def test_login_names_are_unique_without_case(client, sysadmin):
    make_user("Zhang", Role.BUREAU_STAFF)
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:create"),
        {
            "username": "zhang",
            "full_name": "张",
            "role": Role.BUREAU_STAFF,
            "township": "",
            "email": "",
            "phone": "",
            "password1": "Another-Pass-42",
            "password2": "Another-Pass-42",
        },
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username__iexact="zhang").count() == 1


def test_login_works_with_any_case_of_the_name(client):
    make_user("Wang", Role.BUREAU_STAFF)
    response = client.post(reverse("login"), {"username": "wang", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_account_locks_after_five_failures_and_right_password_is_refused(client, staff):
    for _ in range(5):
        client.post(reverse("login"), {"username": staff.username, "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": staff.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lock_lifts_after_thirty_minutes(client, staff):
    for _ in range(5):
        client.post(reverse("login"), {"username": staff.username, "password": "wrong"})
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        response = client.post(
            reverse("login"), {"username": staff.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302


def test_success_resets_the_failure_count(client, staff):
    for _ in range(4):
        client.post(reverse("login"), {"username": staff.username, "password": "wrong"})
    client.post(reverse("login"), {"username": staff.username, "password": TEST_PASSWORD})
    client.logout()
    for _ in range(4):
        client.post(reverse("login"), {"username": staff.username, "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": staff.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_new_user_must_change_password_before_anything_else(client, township):
    user = make_user("newcomer", Role.TOWNSHIP_OFFICE, township=township, must_change_password=True)
    client.force_login(user)
    response = client.get(reverse("registry:overview"))
    assert response.status_code == 302
    assert response.url == reverse("password_change")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Fresh-Start-2024",
            "new_password2": "Fresh-Start-2024",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get(reverse("registry:overview")).status_code == 200


def test_password_older_than_ninety_days_must_be_changed(client, staff):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91)):
        client.force_login(staff)
        response = client.get(reverse("registry:overview"))
    assert response.status_code == 302
    assert response.url == reverse("password_change")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1A!", False),  # under 10 characters
        ("alllowercaseletters", False),  # one class
        ("lowercase123456", False),  # two classes
        ("Lowercase123456", True),
        ("Password123", False),  # common (compared lower-cased)
        ("Correct-Horse-9", True),
    ],
)
def test_password_rules(password, ok):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, User(username="someone"))
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_admin_asks_for_a_township_user_and_a_security_admin_creates_it(
    client, sysadmin, secadmin, township
):
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:create"),
        {
            "username": "xiepu2",
            "full_name": "澥浦镇",
            "role": Role.TOWNSHIP_OFFICE,
            "township": township.pk,
            "email": "",
            "phone": "",
        },
    )
    assert response.status_code == 302
    assert not User.objects.filter(username="xiepu2").exists()  # a request, approved below
    from zhenhai_so.security.models import AccountRequest

    client.force_login(secadmin)
    client.post(reverse("users:request_approve", args=[AccountRequest.objects.get().pk]))
    user = User.objects.get(username="xiepu2")
    assert user.township == township and user.must_change_password
    assert user.groups.get().name == Role.TOWNSHIP_OFFICE


def test_township_user_needs_a_township(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:create"),
        {
            "username": "nobody",
            "full_name": "",
            "role": Role.TOWNSHIP_OFFICE,
            "township": "",
            "email": "",
            "phone": "",
            "password1": "Another-Pass-42",
            "password2": "Another-Pass-42",
        },
    )
    assert "township" in response.context["form"].errors
    assert not User.objects.filter(username="nobody").exists()


def test_admin_disables_at_once_but_only_asks_for_a_role_change(client, sysadmin, staff):
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:edit", args=[staff.pk]),
        {"full_name": "x", "role": Role.BUREAU_STAFF, "township": "", "email": "", "phone": ""},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == Role.BUREAU_STAFF and not staff.is_active  # disabled at once
    client.post(
        reverse("users:edit", args=[staff.pk]),
        {"full_name": "x", "role": Role.LEADER, "township": "", "email": "", "phone": ""},
    )
    staff.refresh_from_db()
    assert staff.role == Role.BUREAU_STAFF  # a request (tests/security/test_separation_of_duties)


def test_an_approved_reset_gives_the_approver_a_one_time_password(
    client, sysadmin, secadmin, staff
):
    from zhenhai_so.security.models import AccountRequest

    client.force_login(sysadmin)
    client.post(reverse("users:reset_password", args=[staff.pk]))
    client.force_login(secadmin)
    response = client.post(reverse("users:request_approve", args=[AccountRequest.objects.get().pk]))
    password = response.context["password"]
    staff.refresh_from_db()
    assert staff.check_password(password) and staff.must_change_password


def test_user_list_exports_to_excel(client, sysadmin, staff):
    client.force_login(sysadmin)
    response = client.get(reverse("users:list"), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_user_changes_are_in_the_audit_log(client, sysadmin, staff):
    from auditlog.models import LogEntry

    client.force_login(sysadmin)
    client.post(
        reverse("users:edit", args=[staff.pk]),
        {
            "full_name": "改名",
            "role": Role.BUREAU_STAFF,
            "township": "",
            "email": "",
            "phone": "",
            "is_active": "on",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    entry = (
        LogEntry.objects.get_for_object(staff)
        .filter(action=LogEntry.Action.UPDATE)
        .latest("timestamp")
    )
    assert entry.actor == sysadmin
    assert entry.remote_addr == "10.1.2.3"
    assert "full_name" in entry.changes_dict
