"""Tasks of the project package. A task takes ids, loads, calls one service (Django-Styleguide)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=60)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """E-mail notifications not e-mailed yet (idempotent: ``emailed_at`` is set per row)."""
    sent = 0
    pending = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("user")
    for notification in pending:
        if not notification.user.email:
            continue
        try:
            send_mail(
                subject=f"[{settings.SITE_NAME}] {notification.title}",
                message=f"{notification.body}\n\n{settings.SITE_URL}{notification.link}".strip(),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.user.email],
            )
        except OSError as error:
            raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
