"""Scheduled security work (``CELERY_BEAT_SCHEDULE`` in settings): the same services as the
management commands ``disable_idle_accounts``, ``verify_audit_chain`` and ``purge_audit``."""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger("zhenhai_so.security")


class AuditChainBroken(RuntimeError):
    """Raised by the daily check so the run shows as failed on the schedule page."""


@shared_task(acks_late=True)
def disable_idle_accounts() -> list[str]:
    """Daily: deactivate accounts idle for more than ``ACCOUNT_IDLE_DAYS`` (SECURITY.md item 7)."""
    from .services import idle_accounts_disable

    return idle_accounts_disable(days=settings.ACCOUNT_IDLE_DAYS)


@shared_task(acks_late=True)
def verify_audit_chain() -> int:
    """Daily: recompute the security log's hash chain (SECURITY.md item 12). A broken chain is
    logged, told to the security and audit administrators once per broken row, and fails the
    run; returns how many events were checked."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from zhenhai_so.models import Notification, User
    from zhenhai_so.notifications import notify
    from zhenhai_so.roles import Role

    from .services import verify_chain

    report = verify_chain()
    if report.ok:
        return report.checked
    logger.error("security event %s breaks the audit hash chain", report.broken_id)
    notify(
        users=User.objects.filter(role__in=[Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]),
        kind=Notification.Kind.WARNING,
        title=gettext("The audit log has been altered: event %(id)s does not match its hash chain")
        % {"id": report.broken_id},
        link=reverse("audit:list"),
        key=f"audit-chain-broken-{report.broken_id}",
    )
    raise AuditChainBroken(f"security event {report.broken_id} breaks the hash chain")


@shared_task(acks_late=True)
def anchor_audit_chain() -> dict:
    """Daily: write the chain's newest hash and count outside the database (docs/security.md)."""
    from .services import anchor_write

    return anchor_write()


@shared_task(acks_late=True)
def purge_audit() -> int:
    """Monthly: delete security events older than ``AUDIT_RETENTION_DAYS`` (190; never less)."""
    from .services import purge_events

    return purge_events(days=settings.AUDIT_RETENTION_DAYS)
