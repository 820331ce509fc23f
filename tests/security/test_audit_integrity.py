"""The audit trail cannot be rewritten by the application's own database user: the chain is
keyed (HMAC, key outside the database), anchored daily in a file outside it, and on PostgreSQL
the runtime role may only SELECT and INSERT the audit tables (docs/security.md, finding P5)."""

import hashlib
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from zhenhai_so.security.models import EventKind, SecurityEvent
from zhenhai_so.security.services import anchor_write, record_event, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_file(tmp_path, settings):
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors" / "audit-anchors.log")
    return settings.AUDIT_ANCHOR_FILE


def _events(n=5):
    return [record_event(None, EventKind.EXPORT, detail=f"file {i}") for i in range(n)]


def _raw(sql, params=()):
    """As the database owner would, bypassing the model (and the append-only trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE security_securityevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE security_securityevent ENABLE TRIGGER USER")


def test_a_rewrite_rehashed_without_the_key_is_detected(anchor_file):
    events = _events()
    # The attacker rewrites a row and re-hashes it and every later row the old, unkeyed way.
    previous = events[1].previous_hash
    for event in SecurityEvent.objects.filter(pk__gte=events[1].pk).order_by("id"):
        if event.pk == events[1].pk:
            event.detail = "nothing to see"
        event.previous_hash = previous
        event.hash = hashlib.sha256(previous.encode() + b"\n" + event.content()).hexdigest()
        _raw(
            "UPDATE security_securityevent SET detail=%s, previous_hash=%s, hash=%s WHERE id=%s",
            [event.detail, event.previous_hash, event.hash, event.pk],
        )
        previous = event.hash
    assert not verify_chain().ok


def test_the_key_comes_from_outside_the_database(settings):
    event = _events(1)[0]
    settings.AUDIT_CHAIN_KEY = "another-key"
    assert event.compute_hash() != event.hash


def test_deleting_the_newest_events_is_detected_by_the_anchor(anchor_file):
    events = _events(25)
    anchor_write()
    assert verify_chain().ok
    _raw("DELETE FROM security_securityevent WHERE id > %s", [events[4].pk])
    report = verify_chain()
    assert not report.ok and "anchor" in report.reason


def test_truncation_is_detected_by_the_anchor(anchor_file):
    _events(3)
    anchor_write()
    _raw("DELETE FROM security_securityevent")
    report = verify_chain()
    assert not report.ok and "anchor" in report.reason


def test_the_anchor_is_appended_daily_outside_the_database(anchor_file):
    _events(2)
    call_command("anchor_audit_chain", stdout=open(os.devnull, "w"))  # noqa: SIM115
    _events(1)
    call_command("anchor_audit_chain", stdout=open(os.devnull, "w"))  # noqa: SIM115
    lines = Path(anchor_file).read_text().splitlines()
    assert len(lines) == 2
    newest = SecurityEvent.objects.order_by("-id").first()
    assert newest.hash in lines[-1] and '"count": 3' in lines[-1]
    schedule = django_settings.CELERY_BEAT_SCHEDULE["security-anchor-audit-chain"]
    assert schedule["task"] == "zhenhai_so.security.tasks.anchor_audit_chain"
    assert verify_chain().ok
