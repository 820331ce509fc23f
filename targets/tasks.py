"""The targets' background work (``CELERY_BEAT_SCHEDULE`` in settings): the stored series kept
up to date after changes, and the township offices' reminders."""

import contextlib
import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Township
from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from . import services
from .models import Plan, QuarterlyReport, RefreshRequest, Target, quarter_end, quarterly_report_due

logger = logging.getLogger(__name__)

# Township offices are reminded a week before a report is due, and told once when it is late;
# "when" is within two weeks of the due date, so a beat that was down for days still tells them,
# while quarters long past (the board shows them) are not raked up again.
REMIND_DAYS = datetime.timedelta(days=7)
LATE_FOR = datetime.timedelta(days=14)
ONE_DAY = datetime.timedelta(days=1)


QUEUED_KEY = "targets:refresh-queued"
LOCK_ID = 0x7A48_5345  # the refresh's PostgreSQL advisory lock


@contextlib.contextmanager
def _exclusive():
    """True while this process alone refreshes (a PostgreSQL advisory lock; one process on
    SQLite); False when another refresh runs, which leaves the waiting requests to the next."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_ID])
        (locked,) = cursor.fetchone()
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_ID])


def request_refresh(tables) -> None:
    """After a commit that wrote to the tables: if targets read them, note it and queue one
    refresh a few seconds later (``TARGETS_REFRESH_DELAY``), unless one is queued already: a
    burst of changes gives one refresh. Should the broker be down, ``refresh_pending`` (every
    minute) takes the noted request."""
    try:
        if not services.targets_reading(tables):
            return
        RefreshRequest.objects.create(tables=sorted(tables), requested_at=timezone.now())
    except DatabaseError:  # the targets' tables not migrated yet (a migration's own writes)
        logger.info("targets refresh not requested: tables not ready", exc_info=True)
        return
    delay = settings.TARGETS_REFRESH_DELAY
    try:
        if cache.add(QUEUED_KEY, 1, delay + 60):
            refresh_series.apply_async(countdown=delay)
    except Exception:  # broker or cache down: the sweeper takes the request
        logger.warning("targets refresh not queued; refresh_pending will take it", exc_info=True)


@shared_task(ignore_result=True)
def refresh_series() -> int:
    """Recompute the series of the targets that the waiting requests name, then drop the
    requests. Returns the number of steps written."""
    cache.delete(QUEUED_KEY)
    with _exclusive() as alone:
        if not alone:
            return 0
        waiting = list(RefreshRequest.objects.order_by("pk").values_list("pk", "tables"))
        if not waiting:
            return 0
        tables = {table for _pk, names in waiting for table in names}
        written = services.series_refresh(targets=services.targets_reading(tables))
        RefreshRequest.objects.filter(pk__lte=waiting[-1][0]).delete()
        return written


@shared_task(ignore_result=True)
def refresh_pending() -> int:
    """Every minute: requests older than the delay (their task was never queued or was lost),
    and targets never computed."""
    old = timezone.now() - datetime.timedelta(seconds=settings.TARGETS_REFRESH_DELAY + 30)
    missing = Target.objects.filter(series__isnull=True)
    if missing.exists():
        with _exclusive() as alone:
            if alone:
                services.series_refresh(targets=missing.select_related("plan"))
    if RefreshRequest.objects.filter(requested_at__lt=old).exists():
        return refresh_series()
    return 0


@shared_task(ignore_result=True)
def refresh_all() -> int:
    """Nightly: every series again, up to the new day (a year that begins, a reporting
    deadline that arrives)."""
    with _exclusive() as alone:
        return services.series_refresh() if alone else 0


def _quarters_due_between(plan: Plan, first: datetime.date, last: datetime.date):
    """(year, quarter) of the plan's quarters whose report is due between the two dates."""
    year, quarter = plan.starts_on.year, (plan.starts_on.month - 1) // 3 + 1
    while quarter_end(year, quarter) <= plan.ends_on:
        if first <= quarterly_report_due(year, quarter) <= last:
            yield year, quarter
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


@shared_task(acks_late=True)
def remind_quarterly_reports(today: str | None = None) -> int:
    """Daily: township offices are told of a quarterly report due within
    7 days and of one that is late (due 15 days after the quarter, ``REPORT_GRACE_DAYS``), once
    each per township and quarter; bureau staff of every report waiting for review, once per
    submission. Returns the number of notifications created."""
    today = datetime.date.fromisoformat(today) if today else timezone.localdate()
    done = (QuarterlyReport.State.SUBMITTED, QuarterlyReport.State.ACCEPTED)
    township_users: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.TOWNSHIP_OFFICE, is_active=True):
        township_users.setdefault(user.township_id, []).append(user)
    created = 0
    for plan in Plan.objects.filter(starts_on__lte=today):
        periods = [
            *((y, q, "due") for y, q in _quarters_due_between(plan, today, today + REMIND_DAYS)),
            *(
                (y, q, "late")
                for y, q in _quarters_due_between(plan, today - LATE_FOR, today - ONE_DAY)
            ),
        ]
        for year, quarter, what in periods:
            handed_in = set(
                QuarterlyReport.objects.filter(
                    plan=plan, year=year, quarter=quarter, state__in=done
                ).values_list("township_id", flat=True)
            )
            due_on = quarterly_report_due(year, quarter)
            for township in Township.objects.exclude(pk__in=handed_in).order_by("order"):
                title = (
                    _("The %(period)s quarterly report is due on %(date)s")
                    if what == "due"
                    else _("The %(period)s quarterly report is late (it was due on %(date)s)")
                ) % {"period": f"{year}Q{quarter}", "date": due_on.isoformat()}
                created += len(
                    notify(
                        users=township_users.get(township.pk, []),
                        kind=Notification.Kind.REMINDER,
                        title=title,
                        link=reverse("targets:report_board"),
                        key=f"quarterly-report-{what}-{plan.pk}-{township.pk}-{year}Q{quarter}",
                    )
                )
    staff = list(User.objects.filter(role=Role.BUREAU_STAFF, is_active=True))
    waiting = QuarterlyReport.objects.filter(state=QuarterlyReport.State.SUBMITTED)
    for report in waiting.select_related("township").order_by("submitted_at", "pk"):
        created += len(services.notify_waiting_for_review(report, staff=staff))
    return created
