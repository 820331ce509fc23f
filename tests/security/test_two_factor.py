"""Second factor for bureau staff and administrators (SECURITY.md item 6)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD
from zhenhai_so.security.models import EventKind, SecurityEvent

pytestmark = [pytest.mark.django_db, pytest.mark.otp]


def login(client, username):
    response = client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return response


def code(device):
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def enrol(client):
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    assert b'src="data:image/svg+xml' in page.content  # the QR code, allowed by img-src data:
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": code(device)})
    assert response.status_code == 302
    assert response.url == reverse("two_factor_recovery_codes")
    codes = client.get(reverse("two_factor_recovery_codes")).context["codes"]
    assert len(codes) == 10
    assert client.get(reverse("two_factor_recovery_codes")).context["codes"] is None  # once
    device.refresh_from_db()
    return device, codes


@pytest.mark.parametrize("url_name", ["users:list", "audit:list", "password_change", "home"])
def test_password_alone_reaches_no_page_for_an_administrator(client, sysadmin, url_name):
    login(client, "sys_admin")
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_staff_enrol_then_must_verify_at_each_login(client, staff):
    login(client, "staff_user")
    assert client.get(reverse("password_change")).url.startswith(reverse("two_factor_setup"))
    device, _codes = enrol(client)
    assert device.confirmed
    assert client.get(reverse("password_change")).status_code == 200  # verified in this session
    client.post(reverse("logout"))
    login(client, "staff_user")
    response = client.get(reverse("password_change"))
    assert response.url.startswith(reverse("two_factor_verify"))
    device.last_t = -1  # a new time step would have come by the next real login
    device.save()
    response = client.post(
        reverse("two_factor_verify") + "?next=/accounts/password/", {"token": code(device)}
    )
    assert response.status_code == 302 and response.url == "/accounts/password/"
    assert SecurityEvent.objects.filter(kind=EventKind.TWO_FACTOR_VERIFY, success=True).exists()


def test_a_replayed_code_is_refused(client, staff):
    login(client, "staff_user")
    device, _codes = enrol(client)
    used = code(device)  # the code that confirmed the device, same time step
    client.post(reverse("logout"))
    login(client, "staff_user")
    response = client.post(reverse("two_factor_verify"), {"token": used})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get(reverse("password_change")).status_code == 302
    assert SecurityEvent.objects.filter(kind=EventKind.TWO_FACTOR_VERIFY, success=False).exists()


def test_a_recovery_code_works_once(client, staff):
    login(client, "staff_user")
    _device, codes = enrol(client)
    for attempt, expected in ((1, 302), (2, 200)):
        client.post(reverse("logout"))
        login(client, "staff_user")
        response = client.post(reverse("two_factor_verify"), {"token": codes[0]})
        assert response.status_code == expected, attempt


def test_township_users_and_leaders_are_not_asked(client, township_user, leader):
    login(client, "township_user")
    assert client.get(reverse("password_change")).status_code == 200
