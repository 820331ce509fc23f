"""Shared fixtures: the reference data loaded once per test database, and one user per role
(the healthchecks Alice/Bob/Charlie pattern, as fixtures)."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_user
from zhenhai_so.roles import Role

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(name: str, reason: str):
    """Skip on a laptop without the service; fail in CI, where REQUIRE_SERVICES=1."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required in CI but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real townships and communities."""
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(autouse=True)
def _two_factor_only_when_marked(request, settings):
    """Role fixtures sign in with ``force_login``: the second factor is required only in tests
    marked ``@pytest.mark.otp`` (tests/security/test_two_factor.py)."""
    if request.node.get_closest_marker("otp") is None:
        settings.OTP_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _no_writes_left_from_another_test():
    """Writes made outside a transaction are told to the listeners after a request; those a
    previous test made (a transactional test's factories) are not this test's."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.__dict__.pop("_zhenhai_written", None)


@pytest.fixture(autouse=True)
def _login_rate_limit_out_of_the_way(settings):
    """Tests sign in from one address many times a minute; the per-address limit of the login
    page (zhenhai_so.security.middleware.LoginRateLimitMiddleware) is tested on its own."""
    settings.LOGIN_RATE_LIMIT = 1_000_000


@pytest.fixture(autouse=True)
def _audit_anchors_of_the_test(tmp_path, settings):
    """Each test anchors the audit chain in a file of its own (zhenhai_so.security.services)."""
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.log")


@pytest.fixture
def townships(db):
    from registry.models import Township

    return list(Township.objects.order_by("order"))


@pytest.fixture
def township(townships):
    return townships[0]


@pytest.fixture
def other_township(townships):
    return townships[1]


@pytest.fixture
def staff(db):
    return make_user("staff_user", Role.BUREAU_STAFF)


@pytest.fixture
def leader(db):
    return make_user("leader_user", Role.LEADER)


@pytest.fixture
def township_user(township):
    return make_user("township_user", Role.TOWNSHIP_OFFICE, township=township)


@pytest.fixture
def other_township_user(other_township):
    return make_user("other_township_user", Role.TOWNSHIP_OFFICE, township=other_township)


@pytest.fixture
def sysadmin(db):
    return make_user("sys_admin", Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin(db):
    return make_user("sec_admin", Role.SECURITY_ADMIN)


@pytest.fixture
def auditor(db):
    return make_user("audit_admin", Role.AUDIT_ADMIN)


@pytest.fixture
def role_users(staff, leader, township_user, sysadmin, secadmin, auditor):
    """One user of each role, keyed by role."""
    return {
        Role.BUREAU_STAFF: staff,
        Role.LEADER: leader,
        Role.TOWNSHIP_OFFICE: township_user,
        Role.SYSTEM_ADMIN: sysadmin,
        Role.SECURITY_ADMIN: secadmin,
        Role.AUDIT_ADMIN: auditor,
    }


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process for this test, even when REDIS_URL points at a broker."""
    from zhenhai_so.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def caching(monkeypatch):
    """Values cached under the data version (and permission sets) as outside a transaction:
    tests run inside one, where nothing is cached."""
    from django.core.cache import cache

    from zhenhai_so import dataversion

    cache.clear()
    monkeypatch.setattr(dataversion, "usable", lambda using="default": True)
    yield
    cache.clear()


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


from tests.access_objects import access_objects  # noqa: E402, F401  (a fixture shared by walks)

# --- one Debian chromium per test process ------------------------------------------------------
# Playwright's sync API allows one instance per thread: the journeys, the accessibility check and
# the public pages on a phone all share this session fixture (a second ``sync_playwright()`` in a
# worker that already runs one fails with "Sync API inside the asyncio loop").
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        require_service("chromium", "install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - dev extra missing
        require_service("playwright", str(error))
    # Playwright's event loop runs in this thread; the ORM calls tests make stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
