"""Reliability guards of issue 8: public pages past the password and two-factor gates, e-mail
queueing with Redis down, the security beat entries, and accounts deactivated, never deleted."""

import logging

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from kombu.exceptions import OperationalError

from tests.conftest import require_service
from tests.factories import make_user
from zhenhai_so.models import Notification, User
from zhenhai_so.roles import Role
from zhenhai_so.security.models import EventKind, SecurityEvent
from zhenhai_so.security.services import record_event

pytestmark = pytest.mark.django_db


# --- The password-change and two-factor gates let public (@login_not_required) pages through.


def test_a_user_who_must_change_the_password_still_sees_the_public_pages(client):
    user = make_user("first_login", Role.BUREAU_STAFF, must_change_password=True)
    client.force_login(user)
    assert client.get(reverse("disclosure:search")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    # ...and nothing else: a portal page still leads to the change form.
    response = client.get(reverse("registry:overview"))
    assert response.status_code == 302 and response.url == reverse("password_change")


@pytest.mark.otp
def test_a_user_who_owes_the_second_factor_still_sees_the_public_pages(client, staff, settings):
    assert staff.role in settings.OTP_REQUIRED_ROLES
    client.force_login(staff)
    assert client.get(reverse("disclosure:search")).status_code == 200
    response = client.get(reverse("registry:overview"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


# --- Notifications: the e-mail task is queued after the commit and Redis may be down then.


def test_notifications_survive_a_broker_that_is_down(
    settings, staff, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from zhenhai_so.notifications import notify
    from zhenhai_so.tasks import send_notification_emails

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    settings.EMAIL_ENABLED = True
    staff.email = "staff@example.gov.cn"
    staff.save()
    monkeypatch.setattr(send_notification_emails, "delay", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        notify(users=[staff], kind="reminder", title="请审核")
    notification = Notification.objects.get()
    assert notification.emailed_at is None  # not marked sent: it was not
    assert "could not queue the e-mail" in caplog.text

    # The sweeper (beat, every 15 minutes) mails it once the broker is back, and only once.
    import datetime

    import time_machine
    from django.core import mail

    from zhenhai_so.notifications import email_unsent

    monkeypatch.undo()
    settings.EMAIL_ENABLED = True
    assert email_unsent() == 0  # too young: it may still be on its way
    with time_machine.travel(datetime.timedelta(minutes=11)):
        from zhenhai_so.celery import app

        app.conf.task_always_eager = True
        try:
            assert email_unsent() == 1
            assert email_unsent() == 0
        finally:
            app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    notification.refresh_from_db()
    assert notification.emailed_at is not None and len(mail.outbox) == 1


# --- Celery beat runs the security commands.


def test_the_security_commands_are_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "zhenhai_so.security.tasks.disable_idle_accounts",
        "zhenhai_so.security.tasks.verify_audit_chain",
        "zhenhai_so.security.tasks.purge_audit",
    } <= tasks
    from zhenhai_so.celery import app

    app.loader.import_default_modules()
    for task in tasks:
        assert task in app.tasks, task


def test_the_scheduled_chain_check_alerts_the_administrators_when_broken(eager_tasks, auditor):
    from zhenhai_so.security.tasks import AuditChainBroken, verify_audit_chain

    events = [record_event(None, EventKind.EXPORT, detail=f"file {i}") for i in range(2)]
    assert verify_audit_chain.delay().get() == 2
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE security_securityevent DISABLE TRIGGER USER")
    SecurityEvent.objects.filter(pk=events[0].pk).update(detail="edited")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE security_securityevent ENABLE TRIGGER USER")
    with pytest.raises(AuditChainBroken):
        verify_audit_chain.apply(throw=True)
    alert = Notification.objects.get(user=auditor)
    assert str(events[0].pk) in alert.title


def test_the_scheduled_idle_check_and_purge_run(eager_tasks, staff):
    import datetime

    import time_machine
    from django.utils import timezone

    from zhenhai_so.security.tasks import disable_idle_accounts, purge_audit

    with time_machine.travel(timezone.now() - datetime.timedelta(days=400), tick=False):
        record_event(None, EventKind.EXPORT, detail="old")
    User.objects.filter(pk=staff.pk).update(last_login=timezone.now() - datetime.timedelta(days=91))
    assert disable_idle_accounts.delay().get() == [staff.username]
    assert purge_audit.delay().get() == 1


# --- Accounts are deactivated, never deleted.


def test_the_admin_site_offers_no_user_deletion(sysadmin):
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    user_admin = admin.site._registry[User]
    assert user_admin.has_delete_permission(request) is False
    assert user_admin.has_delete_permission(request, sysadmin) is False
    assert "delete_selected" not in user_admin.get_actions(request)


def test_on_postgresql_the_users_page_deactivates_an_account_that_cannot_be_deleted(
    client_for, secadmin, staff
):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "the append-only trigger exists only on PostgreSQL")
    from auditlog.models import LogEntry

    client = client_for(secadmin)
    response = client.post(
        reverse("users:edit", kwargs={"pk": staff.pk}),
        {
            "full_name": "离职人员",
            "role": Role.BUREAU_STAFF,
            "township": "",
            "email": "",
            "phone": "",
            # "is_active" left out: the box is cleared
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    staff.refresh_from_db()
    assert staff.is_active is False
    assert LogEntry.objects.get_for_object(staff).filter(changes__icontains="is_active").exists()
    # The user deleted instead: auditlog would null the actor of the user's entries, which the
    # append-only trigger refuses, so the account stays with its history.
    LogEntry.objects.create(
        content_type_id=LogEntry.objects.get_for_object(staff).first().content_type_id,
        object_pk=str(staff.pk),
        object_repr=str(staff),
        action=LogEntry.Action.UPDATE,
        actor=staff,
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        staff.delete()
    assert User.objects.filter(pk=staff.pk).exists()


# --- bandit (SECURITY.md item 21): the one mark_safe left is a constant; labels stay escaped.


def test_the_fast_select_escapes_values_and_labels_like_django():
    from django import forms

    from zhenhai_so.forms import FastSelect

    choices = [("", "—"), ('"><script>x</script>', "<b>粗</b> & 'q'"), ("2", "二")]
    ours = FastSelect(choices=choices).render("f", "2", attrs={"id": "id_f"})
    django = forms.Select(choices=choices).render("f", "2", attrs={"id": "id_f"})
    assert "<script>" not in ours and "<b>" not in ours
    assert ours.count(" selected") == 1 and '<option value="2" selected>二</option>' in ours

    def normalise(html):
        return "".join(html.split()).replace('selected=""', "").replace("selected", "")

    assert normalise(ours) == normalise(django)


# --- No default accounts (SECURITY.md item 7).


def test_default_accounts_are_reported_by_the_deploy_check(staff):
    from django.core.checks import run_checks

    from zhenhai_so.demo import DEMO_PASSWORD
    from zhenhai_so.security.checks import default_accounts

    def errors():
        return [
            m.msg
            for m in run_checks(include_deployment_checks=True, databases=["default"])
            if m.id == "zhenhai_so.E_DEFAULT_ACCOUNTS"
        ]

    assert default_accounts() == [] and errors() == []
    admin_account = make_user("Admin", Role.SYSTEM_ADMIN)
    demo = make_user("sysadmin", Role.SYSTEM_ADMIN)
    demo.set_password(DEMO_PASSWORD)
    demo.save()
    assert default_accounts() == ["Admin", "sysadmin"]
    assert "Admin, sysadmin" in errors()[0]
    # A demo login with its own password is an ordinary account; deactivated ones do not count.
    demo.set_password("An-0ther-Secret!")
    demo.save()
    admin_account.is_active = False
    admin_account.save()
    assert default_accounts() == [] and errors() == []


# --- Imports never match rows with a cached loader over several columns (SECURITY.md item 18).


def test_no_import_matches_rows_with_a_cached_instance_loader():
    from import_export.instance_loaders import CachedInstanceLoader
    from import_export.resources import Resource

    from zhenhai_so.importing import ImportKind, all_kinds

    kinds = all_kinds()  # imports every app's resources.py

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(Resource) if not c.__module__.startswith("import_export")]
    for resource in ours:
        loader = resource._meta.instance_loader_class
        assert loader is None or not issubclass(loader, CachedInstanceLoader), resource
    assert len(kinds) >= 5
    for kind in kinds:  # each kind names its own key and loads existing records by it
        assert type(kind).key is not ImportKind.key, kind.name
        assert type(kind).load_existing is not ImportKind.load_existing, kind.name


# --- The login page is rate-limited per address (issue 8), besides axes' lock-out per name.


def test_sign_in_attempts_are_rate_limited_per_address(client, settings):
    import datetime
    import random

    import time_machine

    # Addresses of this run only: the cache may be a Redis shared with other test processes.
    first, second = (f"10.{random.randrange(256)}.{random.randrange(256)}.{n}" for n in (1, 2))
    settings.LOGIN_RATE_LIMIT = 3
    url = reverse("login")

    def attempt(address, name="u"):
        data = {"username": name, "password": "x"}
        return client.post(url, data, REMOTE_ADDR=address)

    # Frozen, so the bucket does not refill between the attempts.
    with time_machine.travel(
        datetime.datetime(2026, 1, 5, 9, 0, 20, tzinfo=datetime.UTC), tick=False
    ):
        statuses = [attempt(first, f"user{i}").status_code for i in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        refused = attempt(first)
        assert refused["Retry-After"] == "20"  # a token bucket: 3 a minute, one back every 20 s
        assert "<h1" in refused.content.decode()
        # Another address is not affected, and the page itself (GET) is never refused.
        assert attempt(second).status_code == 200
        assert client.get(url, REMOTE_ADDR=first).status_code == 200
    # The bucket refills: one attempt 20 s later.
    with time_machine.travel(
        datetime.datetime(2026, 1, 5, 9, 0, 41, tzinfo=datetime.UTC), tick=False
    ):
        assert attempt(first).status_code == 200
        assert attempt(first).status_code == 429
    refusals = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAILED, detail__contains="rate")
    assert refusals.count() == 2  # the first refusal of each run of refusals only
