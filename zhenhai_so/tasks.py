"""Tasks of the project package. A task takes ids, loads, calls one service (Django-Styleguide)."""

import logging

from celery import Task, shared_task
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


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


@shared_task(acks_late=True)
def email_unsent_notifications() -> int:
    """Every 15 minutes (beat): queue the e-mails the broker could not take when they were due."""
    from .notifications import email_unsent

    return email_unsent()


# ---------------------------------------------------------------------------------------------
# Background jobs (zhenhai_so.jobs). Each task takes an id, loads, calls one service. Transient
# errors (the database or the disk away for a moment) are retried with exponential back-off;
# when the task gives up, ``JobTask.on_failure`` marks the job failed with the reason, visibly.

TRANSIENT = (DatabaseOperationalError, OSError)


class JobTask(Task):
    """A task whose first argument is a job id; ``job_failed`` names the ``jobs`` service that
    records the failure when the task gives up (after its retries, or at once for a bug), and
    ``job_argument`` the keyword it takes the id by."""

    job_failed = ""
    job_argument = ""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        from . import jobs

        logger.error("%s(%s) failed: %r", self.name, args[0], exc)
        failed = getattr(jobs, self.job_failed)
        failed(**{self.job_argument: args[0]}, error=str(exc) or repr(exc))


JOB_TASK_OPTIONS = {
    "base": JobTask,
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**JOB_TASK_OPTIONS, job_failed="download_fail", job_argument="download_id")
def run_export(self, download_id: int) -> None:
    from .jobs import download_run

    download_run(download_id=download_id)


@shared_task(**JOB_TASK_OPTIONS, job_failed="import_job_fail", job_argument="job_id")
def preview_import(self, job_id: int) -> None:
    from .jobs import import_job_run_preview

    import_job_run_preview(job_id=job_id)


@shared_task(**JOB_TASK_OPTIONS, job_failed="import_job_fail", job_argument="job_id")
def apply_import(self, job_id: int) -> None:
    from .jobs import import_job_run_apply

    import_job_run_apply(job_id=job_id)


@shared_task(acks_late=True)
def requeue_stuck_jobs() -> int:
    """Every few minutes (beat): hand jobs the broker never got, or lost, to it again."""
    from .jobs import requeue_stuck

    return requeue_stuck()


@shared_task(acks_late=True)
def clean_up_files() -> dict:
    """Nightly (beat): delete expired downloads and import files older than seven days."""
    from .jobs import clean_up_files

    return clean_up_files()


# The last run of every task in the beat schedule, for the schedule page (jobs.record_run).


@task_prerun.connect
def _scheduled_task_started(sender=None, **kwargs):
    from .jobs import record_run, scheduled_task_names

    if sender is not None and sender.name in scheduled_task_names():
        record_run(sender.name, started=True)


@task_postrun.connect
def _scheduled_task_finished(sender=None, state=None, retval=None, **kwargs):
    from .jobs import record_run, scheduled_task_names

    if sender is not None and sender.name in scheduled_task_names():
        record_run(sender.name, started=False, ok=state == "SUCCESS", result=retval)
