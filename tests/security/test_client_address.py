"""One client address for the lock-out, the rate limits and the audit trail: forwarded headers
count only behind ``PROXY_COUNT`` trusted proxies; one token-bucket limiter that keeps limiting
in each process when the cache (Redis) is down (docs/security.md, findings P4 and P13)."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string

from tests.factories import TEST_PASSWORD, OrganisationFactory, make_user
from zhenhai_so.cache import DegradingRedisCache
from zhenhai_so.ratelimit import client_address
from zhenhai_so.roles import Role
from zhenhai_so.security.models import EventKind, SecurityEvent

LOGIN = reverse("login")
pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_one_proxy(settings):
    settings.PROXY_COUNT = 1


def _login(client, username, password, forwarded=None, remote="127.0.0.1"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_without_a_proxy_forwarded_headers_are_ignored(rf, settings):
    settings.PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "10.0.0.2"


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(rf, behind_one_proxy):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.66", REMOTE_ADDR="127.0.0.1")
    assert client_address(request) == "203.0.113.66"
    # A proxy that sent no header, or garbage: the address of the connection.
    assert client_address(rf.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="<script>", REMOTE_ADDR="127.0.0.1")
    assert client_address(garbage) == "127.0.0.1"


def test_axes_and_the_audit_middleware_use_the_one_function(rf, settings, db):
    from axes.helpers import get_client_ip_address

    settings.PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.2")
    assert get_client_ip_address(request) == "10.0.0.2"
    settings.PROXY_COUNT = 1
    assert get_client_ip_address(request) == "6.6.6.6"


def test_without_a_proxy_a_forged_header_does_not_reach_the_audit_entries(rf, settings, staff):
    settings.PROXY_COUNT = 0
    organisation = OrganisationFactory()
    (middleware_path,) = [m for m in django_settings.MIDDLEWARE if "Auditlog" in m]

    def edit(request):
        organisation.name = "改名协会"
        organisation.save()
        return HttpResponse()

    request = rf.post("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.2")
    request.user = staff
    import_string(middleware_path)(edit)(request)
    entry = LogEntry.objects.get_for_object(organisation).latest("pk")
    assert entry.remote_addr == "10.0.0.2"


def test_behind_a_proxy_one_client_does_not_lock_the_others_out(client, behind_one_proxy, settings):
    settings.LOGIN_RATE_LIMIT = 20
    user = make_user("luotuo_user", Role.LEADER)
    for n in range(21):
        _login(client, f"nobody{n}", "wrong", forwarded="203.0.113.66")
    assert _login(client, f"nobody{n}", "wrong", forwarded="203.0.113.66").status_code == 429
    response = _login(client, user.username, TEST_PASSWORD, forwarded="198.51.100.9")
    assert response.status_code == 302
    event = SecurityEvent.objects.filter(kind=EventKind.LOGIN).latest("pk")
    assert event.address == "198.51.100.9"
    assert set(
        SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAILED).values_list("address", flat=True)
    ) == {"203.0.113.66"}


def test_the_lock_out_is_per_user_name_and_address(client, behind_one_proxy):
    user = make_user("locked_user", Role.LEADER)
    for _ in range(6):
        _login(client, user.username, "wrong-password", forwarded="203.0.113.66")
    assert _login(client, user.username, TEST_PASSWORD, forwarded="203.0.113.66").status_code != 302
    assert _login(client, user.username, TEST_PASSWORD, forwarded="198.51.100.9").status_code == 302


def test_forwarded_proto_counts_only_behind_a_proxy():
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.SECURE_PROXY_SSL_HEADER))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="zhenhai_so.settings", SECRET_KEY="probe")
    values = []
    for extra in ({}, {"PROXY_COUNT": "1"}):
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env={**env, **extra},
            capture_output=True,
            text=True,
            cwd=django_settings.BASE_DIR,
            check=True,
        )
        values.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert values == [None, ["HTTP_X_FORWARDED_PROTO", "https"]]


def test_with_redis_down_the_login_limit_still_applies(client, settings, monkeypatch):
    monkeypatch.setattr(DegradingRedisCache, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "zhenhai_so.cache.DegradingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.LOGIN_RATE_LIMIT = 3
    address = "192.0.2.77"
    statuses = [_login(client, f"x{n}", "wrong", remote=address).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _login(client, "x", "wrong", remote="192.0.2.78").status_code == 200
