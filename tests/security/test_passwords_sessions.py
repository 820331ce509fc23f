"""Password history, expiry, session lifetimes and idle accounts (SECURITY.md items 3, 5, 7)."""

import datetime

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.roles import Role
from zhenhai_so.security.models import EventKind, SecurityEvent
from zhenhai_so.services import user_password_changed

pytestmark = pytest.mark.django_db
PASSWORDS = [f"Rotating-Secret-{n}x" for n in range(7)]


def change_password(user, new):
    validate_password(new, user)
    user.set_password(new)
    user.save()
    user_password_changed(user=user)


def test_none_of_the_last_five_passwords_may_be_reused(staff):
    for new in PASSWORDS[:5]:
        change_password(staff, new)
    # The current one and the four before it are the last five; TEST_PASSWORD is the sixth.
    for old in PASSWORDS[:5]:
        with pytest.raises(ValidationError) as excinfo:
            validate_password(old, staff)
        assert "password_reused" in [e.code for e in excinfo.value.error_list]
    validate_password(TEST_PASSWORD, staff)  # six changes ago: allowed again
    assert staff.password_history.count() == 5


def test_the_change_form_refuses_a_recent_password(client, staff):
    change_password(staff, PASSWORDS[0])
    client.force_login(staff)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORDS[0],
            "new_password1": TEST_PASSWORD,
            "new_password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]


def test_after_91_days_every_page_leads_to_the_change_form(client, staff):
    client.force_login(staff)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91)):
        client.force_login(staff)
        response = client.get(reverse("users:list"))
        assert response.status_code == 302
        assert response.url == reverse("password_change")


def test_an_idle_session_ends_after_30_minutes(client, staff):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.force_login(staff)
        assert client.get(reverse("password_change")).status_code == 200
    with time_machine.travel(now + datetime.timedelta(minutes=29), tick=False):
        assert client.get(reverse("password_change")).status_code == 200  # renews the session
    with time_machine.travel(now + datetime.timedelta(minutes=58), tick=False):
        assert client.get(reverse("password_change")).status_code == 200  # 29 min after the last
    with time_machine.travel(now + datetime.timedelta(minutes=89), tick=False):  # 31 min idle
        response = client.get(reverse("password_change"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_busy_session_still_ends_8_hours_after_login(client, staff):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.force_login(staff)
    for minutes in range(20, 8 * 60, 20):  # a request every 20 minutes keeps it from idling
        with time_machine.travel(now + datetime.timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("password_change")).status_code == 200
    with time_machine.travel(now + datetime.timedelta(hours=8, minutes=1), tick=False):
        response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert SecurityEvent.objects.filter(kind=EventKind.SESSION_EXPIRED, user=staff).count() == 1


def test_logout_deletes_the_server_session(client, staff):
    client.force_login(staff)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_session_cookie_flags(settings):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SECURE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_RENEW_SECONDS == 60


def test_an_active_session_is_saved_at_most_once_a_minute(client, staff):
    """Renewing the idle limit costs a database write; a user clicking through pages causes one
    a minute, not one a page (the load test's 50 clients would otherwise write on every view)."""
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.force_login(staff)
        client.get(reverse("password_change"))
    key = client.session.session_key

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    saved = expiry()
    with time_machine.travel(now + datetime.timedelta(seconds=30), tick=False):
        client.get(reverse("password_change"))
    assert expiry() == saved  # within the minute: not written
    with time_machine.travel(now + datetime.timedelta(seconds=61), tick=False):
        client.get(reverse("password_change"))
    assert expiry() == saved + datetime.timedelta(seconds=61)  # renewed from this request


def test_an_anonymous_visit_creates_no_session(client):
    client.get(reverse("login"))
    assert Session.objects.count() == 0


def test_accounts_idle_for_more_than_90_days_are_disabled(township):
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=120), tick=False):
        idle = make_user("idle_user", Role.LEADER)
        never = make_user("never_logged_in", Role.LEADER)
        active = make_user("active_user", Role.LEADER)
    idle.last_login = now - datetime.timedelta(days=91)
    active.last_login = now - datetime.timedelta(days=89)
    idle.save(update_fields=["last_login"])
    active.save(update_fields=["last_login"])
    fresh = make_user("new_user", Role.LEADER)  # created today, never logged in
    with time_machine.travel(now, tick=False):
        call_command("disable_idle_accounts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for user, active_after in ((idle, False), (never, False), (active, True), (fresh, True)):
        user.refresh_from_db()
        assert user.is_active is active_after, user.username
    disabled = SecurityEvent.objects.filter(kind=EventKind.ACCOUNT_DISABLED)
    assert sorted(disabled.values_list("username", flat=True)) == ["idle_user", "never_logged_in"]


def test_an_administrator_lifts_a_lock_out(client, staff, sysadmin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "staff_user", "password": "Wrong-Pass-1"})
    assert (
        client.post(
            reverse("login"), {"username": "staff_user", "password": TEST_PASSWORD}
        ).status_code
        == 429
    )
    admin = client.__class__()
    admin.force_login(sysadmin)
    page = admin.get(reverse("users:edit", args=[staff.pk]))
    assert b"users/%d/unlock/" % staff.pk in page.content
    response = admin.post(reverse("users:unlock", args=[staff.pk]))
    assert response.status_code == 302
    assert SecurityEvent.objects.filter(kind=EventKind.UNLOCK, object_id=str(staff.pk)).exists()
    response = client.post(reverse("login"), {"username": "staff_user", "password": TEST_PASSWORD})
    assert response.status_code == 302
