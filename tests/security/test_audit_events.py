"""The security event log: one event per action with its fields, tamper evidence, retention
(SECURITY.md items 11, 12 and 13)."""

import datetime
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.conftest import require_service
from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.roles import Role
from zhenhai_so.security.models import EventKind, SecurityEvent
from zhenhai_so.security.services import record_event, verify_chain

pytestmark = pytest.mark.django_db
ADDRESS = "10.20.30.40"


def login(client, username, password=TEST_PASSWORD):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ADDRESS
    )


def only_event(**filters):
    events = list(SecurityEvent.objects.filter(**filters))
    assert len(events) == 1, events
    return events[0]


def test_login_success_and_logout_are_recorded_with_user_time_and_address(client, staff):
    before = timezone.now()
    assert login(client, "staff_user").status_code == 302
    event = only_event(kind=EventKind.LOGIN)
    assert (event.user, event.username, event.success, event.address) == (
        staff,
        "staff_user",
        True,
        ADDRESS,
    )
    assert before <= event.created_at <= timezone.now()
    client.post(reverse("logout"), REMOTE_ADDR=ADDRESS)
    event = only_event(kind=EventKind.LOGOUT)
    assert (event.user, event.address, event.success) == (staff, ADDRESS, True)


def test_a_failed_login_is_recorded_without_the_password(client, staff, caplog):
    caplog.set_level(logging.DEBUG)
    assert login(client, "staff_user", "Wrong-Secret-77").status_code == 200
    event = only_event(kind=EventKind.LOGIN_FAILED)
    assert (event.user, event.username, event.success, event.address) == (
        None,
        "staff_user",
        False,
        ADDRESS,
    )
    assert "Wrong-Secret-77" not in caplog.text
    assert "Wrong-Secret-77" not in str(list(SecurityEvent.objects.values()))


def test_the_lock_out_is_recorded(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "staff_user", "Wrong-Secret-77")
    event = only_event(kind=EventKind.LOCKOUT)
    assert (event.username, event.success, event.address) == ("staff_user", False, ADDRESS)
    assert login(client, "staff_user").status_code == 429  # even the right password


def test_a_role_change_is_recorded_with_the_administrator_and_address(
    client, sysadmin, township_user
):
    client.force_login(sysadmin)
    response = client.post(
        reverse("users:edit", args=[township_user.pk]),
        {
            "role": "leader",
            "township": "",
            "full_name": "王五",
            "email": "",
            "phone": "",
            "is_active": "on",
        },
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302, response.content
    from zhenhai_so.security.models import AccountRequest

    approver = make_user("sec_admin_x", Role.SECURITY_ADMIN)
    client.force_login(approver)
    client.post(
        reverse("users:request_approve", args=[AccountRequest.objects.get().pk]),
        REMOTE_ADDR=ADDRESS,
    )
    event = only_event(kind=EventKind.ROLE_CHANGE)
    assert (event.user, event.object_id, event.address) == (
        approver,
        str(township_user.pk),
        ADDRESS,
    )
    assert "township_office -> leader" in event.detail


def test_password_change_and_reset_are_recorded(client, staff, sysadmin):
    client.force_login(staff)
    client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Another-Secret-42",
            "new_password2": "Another-Secret-42",
        },
        REMOTE_ADDR=ADDRESS,
    )
    event = only_event(kind=EventKind.PASSWORD_CHANGE)
    assert (event.user, event.object_id, event.address) == (staff, str(staff.pk), ADDRESS)
    client.force_login(sysadmin)
    client.post(reverse("users:reset_password", args=[staff.pk]), REMOTE_ADDR=ADDRESS)
    from zhenhai_so.security.models import AccountRequest

    client.force_login(make_user("sec_admin_x", Role.SECURITY_ADMIN))
    client.post(
        reverse("users:request_approve", args=[AccountRequest.objects.get().pk]),
        REMOTE_ADDR=ADDRESS,
    )
    event = only_event(kind=EventKind.PASSWORD_RESET)
    assert (event.username, event.object_id) == ("sec_admin_x", str(staff.pk))


def test_record_event_for_an_export_names_the_object_and_detail(rf, staff, township):
    request = rf.get("/registry/organisations/?export=xlsx", REMOTE_ADDR=ADDRESS)
    request.user = staff
    event = record_event(request, EventKind.EXPORT, township, detail="organisations: 12 rows")
    assert (event.user, event.kind, event.address) == (staff, "export", ADDRESS)
    assert (event.object_type, event.object_id) == ("registry.township", str(township.pk))
    assert event.detail == "organisations: 12 rows"


def test_the_hash_chain_detects_a_raw_edit(rf, staff):
    request = rf.get("/")
    request.user = staff
    events = [record_event(request, EventKind.DOWNLOAD, detail=f"file {i}") for i in range(3)]
    assert events[1].previous_hash == events[0].hash
    assert verify_chain().ok
    call_command("verify_audit_chain", stdout=open("/dev/null", "w"))  # noqa: SIM115
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE security_securityevent DISABLE TRIGGER USER")
    # A raw edit that bypasses the model, as someone with database access would make it.
    SecurityEvent.objects.filter(pk=events[1].pk).update(detail="nothing to see")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE security_securityevent ENABLE TRIGGER USER")
    report = verify_chain()
    assert report.broken_id == events[1].pk
    with pytest.raises(CommandError, match=str(events[1].pk)):
        call_command("verify_audit_chain")


def test_purge_keeps_younger_events_and_refuses_short_periods():
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=200), tick=False):
        old = record_event(None, EventKind.EXPORT, detail="old")
    with time_machine.travel(now - datetime.timedelta(days=100), tick=False):
        young = record_event(None, EventKind.EXPORT, detail="young")
    with pytest.raises(CommandError):
        call_command("purge_audit", "--days", "30")
    call_command("purge_audit", "--days", "190", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()
    assert SecurityEvent.objects.filter(pk=young.pk).exists()
    assert SecurityEvent.objects.filter(kind=EventKind.AUDIT_PURGE).count() == 1
    assert verify_chain().ok  # the oldest kept event anchors the chain


def test_on_postgresql_the_database_refuses_updates_and_deletes():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "the append-only trigger exists only on PostgreSQL")
    event = record_event(None, EventKind.EXPORT, detail="kept")
    for attempt in (
        lambda: SecurityEvent.objects.filter(pk=event.pk).update(detail="changed"),
        lambda: SecurityEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(SecurityEvent),
        object_pk="1",
        object_repr="x",
        action=0,
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="y")
    assert SecurityEvent.objects.get(pk=event.pk).detail == "kept"
