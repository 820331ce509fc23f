"""Two-factor sign-in with django-otp: TOTP apps, plus ten single-use recovery codes.

TOTP (RFC 6238) with a ±1 step tolerance; django-otp refuses a code whose time step is not newer
than the last one accepted (replay) and throttles repeated failures.
"""

from base64 import b32encode

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import EventKind
from .services import record_event

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"


def has_confirmed_device(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (a new secret the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app without a camera."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the CSP allows data: images)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@transaction.atomic
def two_factor_enrol(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; returns fresh recovery codes, or None when the code
    is wrong. Earlier devices of the user are replaced."""
    if not device.verify_token(token):
        record_event(request, EventKind.TWO_FACTOR, success=False, detail="enrolment code wrong")
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=user)
    otp_login(request, device)
    record_event(request, EventKind.TWO_FACTOR, detail="authenticator enrolled")
    return codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_verify(*, request, token: str) -> bool:
    """Check a code against the user's devices: six digits go to the authenticator, anything
    else to the recovery codes (a recovery code is used up once accepted). Each device is
    checked on its own, as django-otp recommends, so its throttling applies."""
    token = token.strip().replace(" ", "")
    wanted = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    for device in devices_for_user(request.user, for_verify=True):
        if isinstance(device, wanted) and device.verify_token(token):
            otp_login(request, device)
            kind = "authenticator" if wanted is TOTPDevice else "recovery code"
            record_event(request, EventKind.TWO_FACTOR_VERIFY, detail=kind)
            return True
    record_event(request, EventKind.TWO_FACTOR_VERIFY, success=False)
    return False


@transaction.atomic
def two_factor_reset(*, request, user) -> None:
    """An administrator removes a user's devices (lost phone); the user enrols again."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    record_event(request, EventKind.TWO_FACTOR, user, detail="devices removed by administrator")
