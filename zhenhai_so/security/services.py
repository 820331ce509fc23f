"""Writing and checking the security event log, and the password history.

``record_event`` is the one entry point for every app: call it from an export, import or
download view with the request, and the user, address and time are filled in.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import connection, transaction
from django.utils import timezone

from .models import EventKind, PasswordHistory, SecurityEvent

logger = logging.getLogger("zhenhai_so.security")

PASSWORD_HISTORY_DEPTH = 5
# Keyed on this app: serialises writers of the hash chain on PostgreSQL.
_CHAIN_LOCK_KEY = 8_080_808
PURGE_SETTING = "zhenhai.audit_purge"


def client_address(request) -> str | None:
    """The client's address: ``zhenhai_so.ratelimit.client_address`` (honours ``PROXY_COUNT``)."""
    from zhenhai_so.ratelimit import client_address as address_of

    return address_of(request)


def _object_fields(obj) -> dict:
    if obj is None:
        return {}
    meta = getattr(obj, "_meta", None)
    return {
        "object_type": meta.label_lower if meta else type(obj).__name__,
        "object_id": str(getattr(obj, "pk", "") or "")[:64],
        "object_repr": str(obj)[:200],
    }


@transaction.atomic
def record_event(
    request,
    kind: str,
    obj=None,
    *,
    success: bool = True,
    detail: str = "",
    user=None,
    username: str | None = None,
    address: str | None = None,
) -> SecurityEvent:
    """Append one event to the security log (SECURITY.md item 11) and chain its hash.

    ``user`` defaults to the request's signed-in user; ``username`` to that user's name (a failed
    login passes the name that was typed). ``detail`` must never hold a password or personal
    data: it is shown to auditors and exported. ``address`` is for callers without a request
    (signal receivers that know it from auditlog's context).
    """
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if username is None:
        username = user.get_username() if user is not None else ""
    event = SecurityEvent(
        created_at=timezone.now(),
        user=user,
        username=username[:150],
        kind=EventKind(kind),
        success=success,
        address=address or client_address(request),
        detail=detail[:500],
        **_object_fields(obj),
    )
    event.full_clean(exclude=["hash", "previous_hash", "user"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = SecurityEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event.previous_hash = last or ""
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None  # the first row whose hash or link does not match
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.reason


def _last_anchor() -> dict | None:
    """The newest line of ``AUDIT_ANCHOR_FILE`` (None when there is none yet)."""
    import json
    from pathlib import Path

    path = Path(settings.AUDIT_ANCHOR_FILE)
    if not path.exists():
        return None
    last = None
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                last = line
    return json.loads(last) if last else None


@transaction.atomic
def anchor_write() -> dict:
    """Append the chain's newest id, hash and row count to ``AUDIT_ANCHOR_FILE``, outside the
    database (daily, by beat; keep the file where the database user cannot write, and in the
    backups). ``verify_chain`` then notices the newest rows deleted or the table emptied."""
    import json
    from pathlib import Path

    newest = SecurityEvent.objects.order_by("-id").values("id", "hash").first()
    anchor = {
        "time": timezone.now().isoformat(),
        "count": SecurityEvent.objects.count(),
        "id": newest["id"] if newest else None,
        "hash": newest["hash"] if newest else "",
        "purged": SecurityEvent.objects.filter(kind=EventKind.AUDIT_PURGE).count(),
    }
    path = Path(settings.AUDIT_ANCHOR_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(anchor, sort_keys=True) + "\n")
    return anchor


def _check_anchor(anchor: dict) -> str:
    """Why the table no longer matches the anchor, or ""."""
    if not anchor.get("id"):
        return ""
    row = SecurityEvent.objects.filter(pk=anchor["id"]).values_list("hash", flat=True).first()
    if row is None:
        return f"anchor: event {anchor['id']} of {anchor['time']} is gone"
    if row != anchor["hash"]:
        return f"anchor: event {anchor['id']} differs from its anchored hash"
    kept = SecurityEvent.objects.filter(pk__lte=anchor["id"]).count()
    purged = SecurityEvent.objects.filter(kind=EventKind.AUDIT_PURGE).count() > anchor.get(
        "purged", 0
    )
    if kept > anchor["count"] or (kept < anchor["count"] and not purged):
        return f"anchor: {anchor['count']} events up to {anchor['id']} were anchored, {kept} remain"
    return ""


def verify_chain() -> ChainReport:
    """Recompute every keyed hash in id order (the oldest kept row starts the chain: after a
    purge its ``previous_hash`` names a row that is gone, which is expected), then hold the
    table against the newest anchor written outside the database."""
    previous = None
    checked = 0
    for event in SecurityEvent.objects.chronological().iterator(chunk_size=2000):
        if previous is not None and event.previous_hash != previous:
            return ChainReport(checked, event.id, "link")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.id, "hash")
        previous = event.hash
        checked += 1
    anchor = _last_anchor()
    if anchor is not None and (reason := _check_anchor(anchor)):
        return ChainReport(checked, anchor["id"], reason)
    return ChainReport(checked, None)


@transaction.atomic
def purge_events(*, days: int) -> int:
    """Delete events older than ``days`` days and return how many went.

    等保 2.0 asks that audit records be kept at least six months; SECURITY.md item 12 fixes 190
    days, so a shorter period is refused. On PostgreSQL the append-only trigger lets a DELETE
    through only inside this transaction (``SET LOCAL zhenhai.audit_purge``) and only for rows
    older than the same limit, checked again in the trigger.
    """
    minimum = settings.AUDIT_RETENTION_DAYS
    if days < minimum:
        raise ValueError(f"audit events are kept at least {minimum} days")
    cutoff = timezone.now() - timedelta(days=days)
    if connection.vendor == "postgresql":
        # The runtime role may not DELETE audit rows: a function owned by the owner does it,
        # for rows past the retention only (migration security/0004_audit_purge_function).
        with connection.cursor() as cursor:
            cursor.execute("SELECT zhenhai_audit_purge(%s)", [cutoff])
            deleted = cursor.fetchone()[0]
    else:
        deleted, _ = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        record_event(None, EventKind.AUDIT_PURGE, detail=f"{deleted} events older than {days} days")
    return deleted


def password_in_history(user, raw_password: str) -> bool:
    """True when ``raw_password`` is the current one or one of the last five."""
    if user is None or user.pk is None:
        return False
    hashes = list(
        PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
            :PASSWORD_HISTORY_DEPTH
        ]
    )
    if user.password and user.password not in hashes:
        hashes.append(user.password)
    return any(check_password(raw_password, encoded) for encoded in hashes)


@transaction.atomic
def password_history_add(*, user) -> None:
    """Remember the user's current password hash and forget all but the last five."""
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = PasswordHistory.objects.filter(user=user).values_list("id", flat=True)[
        :PASSWORD_HISTORY_DEPTH
    ]
    PasswordHistory.objects.filter(user=user).exclude(id__in=list(keep)).delete()


@transaction.atomic
def password_changed(*, user) -> None:
    """Called by ``PasswordHistoryValidator`` whenever a new password is saved: remember its
    hash, and log a change by the user or a reset by an administrator (not the first password,
    whose creation auditlog records with the account)."""
    from auditlog.context import auditlog_value

    had_history = PasswordHistory.objects.filter(user=user).exists()
    password_history_add(user=user)
    if not had_history:
        return
    try:
        context = auditlog_value.get()
    except LookupError:
        context = {}
    actor = context.get("actor")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    kind = (
        EventKind.PASSWORD_CHANGE
        if actor is None or actor.pk == user.pk
        else (EventKind.PASSWORD_RESET)
    )
    record_event(None, kind, user, user=actor or user, address=context.get("remote_addr"))


@transaction.atomic
def account_unlock(*, request, user) -> int:
    """Remove the failed-login records of the user's name (every address); returns how many."""
    from axes.utils import reset

    removed = reset(username=user.get_username().lower())
    if removed:
        record_event(request, EventKind.UNLOCK, user, detail=f"{removed} failure records removed")
    return removed


@transaction.atomic
def idle_accounts_disable(*, days: int) -> list[str]:
    """Deactivate accounts nobody has signed in to for more than ``days`` days (GB/T
    22239-2019 8.1.4.2 c: remove or disable redundant and expired accounts; SECURITY.md item 7).
    An account that never signed in counts from when it was created."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    cutoff = timezone.now() - timedelta(days=days)
    idle = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
    )
    names = []
    for user in idle.order_by("username"):
        user.is_active = False
        user._security_event_recorded = True  # the receiver leaves this one to us
        user.save(update_fields=["is_active"])
        record_event(
            None, EventKind.ACCOUNT_DISABLED, user, user=user, detail=f"idle > {days} days"
        )
        names.append(user.get_username())
    return names
