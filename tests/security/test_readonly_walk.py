"""Leaders change nothing (SECURITY.md item 10), and no role changes what it may not open.

Reuses the ``ACCESS`` table of ``tests/test_access.py``, so a URL added there is walked here too:

- every URL × POST, PUT, PATCH and DELETE as a leader and as the audit administrator (both
  read-only roles) answers 403 (no permission) or 405 (the page takes no such request), except
  the user's own account pages (log out, own password, language, own notifications, own
  second factor);
- every URL whose GET a role may not open (403 in ``ACCESS``) answers 403 to that role's POST;
- none of these requests writes an audit entry, a security event other than the user's own
  sign-in, or a record.
"""

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from tests.test_access import ACCESS, ALL_ROLES, AUDITOR, LEADER, _url
from zhenhai_so.security.models import SecurityEvent

pytestmark = pytest.mark.django_db

# A user's own account: any signed-in user may post these, leaders and auditors included.
OWN_ACCOUNT = {
    "login",
    "logout",
    "password_change",
    "set_language",
    "notifications:read",
    "two_factor_setup",
    "two_factor_verify",
}
READ_ONLY_ROLES = (LEADER, AUDITOR)
WRITE_METHODS = ("post", "put", "patch", "delete")
REFUSED = (403, 405)
# What force_login writes for each sign-in (sessions, the sign-in event, axes' access log).
SIGN_IN_BOOKKEEPING = {
    "sessions.Session",
    "security.SecurityEvent",
    "axes.AccessAttempt",
    "axes.AccessLog",
}


def _counts():
    """Rows of every model: a refused request leaves each the same."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def _walk(name, client, role_users, access_objects):
    url = _url(name, access_objects)
    failures = []
    for role in ALL_ROLES:
        read_only = role in READ_ONLY_ROLES and name not in OWN_ACCOUNT
        forbidden = ACCESS[name][role] == 403
        if not (read_only or forbidden):
            continue
        client.force_login(role_users[role])
        methods = WRITE_METHODS if read_only else ("post",)
        for method in methods:
            response = getattr(client, method)(url, data={})
            allowed = REFUSED if read_only else (403,)
            if response.status_code not in allowed:
                failures.append(f"{method.upper()} {url} as {role}: {response.status_code}")
    return failures


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_read_only_roles_and_roles_without_the_page_change_nothing(
    name, client, role_users, access_objects
):
    before_counts = _counts()
    entries = LogEntry.objects.count()
    events = SecurityEvent.objects.exclude(kind__in=["login", "logout"]).count()
    failures = _walk(name, client, role_users, access_objects)
    assert failures == []
    assert LogEntry.objects.count() == entries
    assert SecurityEvent.objects.exclude(kind__in=["login", "logout"]).count() == events
    after_counts = _counts()
    changed = {
        label: (before_counts[label], after_counts[label])
        for label in before_counts
        if before_counts[label] != after_counts[label] and label not in SIGN_IN_BOOKKEEPING
    }
    assert changed == {}


def test_the_walk_covers_each_read_only_role_on_every_url():
    walked = {name for name in ACCESS if name not in OWN_ACCOUNT}
    assert len(walked) >= len(ACCESS) - len(OWN_ACCOUNT)
    assert all(role in ALL_ROLES for role in READ_ONLY_ROLES)
