"""The notification centre: ``notify`` is the one way any app tells people something.

Notifications are rows (the bell counts the unread); when ``EMAIL_URL`` is configured each one is
also e-mailed, by a task enqueued after the transaction commits so a failed mail never undoes the
work that caused it.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Notification, User

logger = logging.getLogger(__name__)


def email_enabled() -> bool:
    return getattr(settings, "EMAIL_ENABLED", False)


@transaction.atomic
def notify(
    *, users: Iterable[User], kind: str, title: str, link: str = "", body: str = "", key: str = ""
) -> list[Notification]:
    """Create one notification per active user; with ``key``, at most once per user and key."""
    users = [u for u in users if u.is_active]
    if key:
        seen = set(
            Notification.objects.filter(user__in=users, key=key).values_list("user_id", flat=True)
        )
        users = [u for u in users if u.pk not in seen]
    created = Notification.objects.bulk_create(
        [
            Notification(user=u, kind=kind, title=title, body=body, link=link, key=key)
            for u in users
        ],
        ignore_conflicts=bool(key),
    )
    if email_enabled():
        from .tasks import send_notification_emails

        ids = list(
            Notification.objects.filter(
                user__in=users, title=title, emailed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _queue_emails(send_notification_emails, ids))
    return created


def _queue_emails(task, ids: list[int]) -> bool:
    """Hand the e-mails to the broker; False (logged) when it cannot be reached. Runs after the
    commit, so raising here would turn finished work into an error page (SECURITY.md item 25).
    The rows keep ``emailed_at`` empty, so nothing is marked sent that was not."""
    if not ids:
        return True
    try:
        task.delay(ids)
    except Exception:  # kombu.OperationalError, redis errors, socket timeouts: all the same here
        logger.exception("could not queue the e-mail of %d notifications", len(ids))
        return False
    return True


def email_unsent(*, older_than_minutes: int = 10, within_hours: int = 48) -> int:
    """The sweeper of e-mails the broker never got (Redis was down when ``notify`` committed):
    queue the notifications of the last ``within_hours`` still not e-mailed and older than
    ``older_than_minutes`` (younger ones may still be on their way). The task skips rows that
    were e-mailed meanwhile, so a notification is mailed once. Returns how many were queued."""
    if not email_enabled():
        return 0
    from .tasks import send_notification_emails

    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=now - timedelta(minutes=older_than_minutes),
            created_at__gte=now - timedelta(hours=within_hours),
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)[:1000]
    )
    return len(ids) if _queue_emails(send_notification_emails, ids) else 0


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or those ids) read; returns how many changed."""
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
