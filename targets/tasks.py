"""Scheduled snapshots of every target (CELERY_BEAT_SCHEDULE in settings)."""

import datetime

from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Township
from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from . import services
from .models import Plan, QuarterlyReport, quarter_end, quarterly_report_due
from .progress import evaluate_plan

# Township offices are reminded a week before a report is due, and told once when it is late;
# "when" is within two weeks of the due date, so a beat that was down for days still tells them,
# while quarters long past (the board shows them) are not raked up again.
REMIND_DAYS = datetime.timedelta(days=7)
LATE_FOR = datetime.timedelta(days=14)
ONE_DAY = datetime.timedelta(days=1)


def _plans_running_on(day: datetime.date):
    return Plan.objects.filter(starts_on__lte=day)


@shared_task(ignore_result=True)
def warm_dashboard() -> int:
    """Every minute: the dashboard's opening view (the newest plan as of its default date,
    district-wide and for each township) computed into the results cache, so that the first
    person to open it after a change does not wait for every metric. Costs one cache read when
    nothing changed since the last run. Returns the number of views warmed."""
    plan = Plan.objects.order_by("-starts_on").first()
    if plan is None:
        return 0
    as_of = plan.default_as_of(timezone.localdate())
    scopes = [None, *Township.objects.order_by("order").values_list("pk", flat=True)]
    for township_id in scopes:
        evaluate_plan(plan, as_of=as_of, township_id=township_id, cached=True)
    return len(scopes)


@shared_task
def snapshot_today() -> int:
    """Nightly: every target's value for today (or each ended plan's last day, stored once more
    so a late correction of old data reaches the trend), district-wide and per township."""
    today = timezone.localdate()
    stored = 0
    for plan in _plans_running_on(today):
        stored += services.snapshot_store(plan=plan, as_of=plan.default_as_of(today))
    return stored


@shared_task
def snapshot_quarter_end() -> int:
    """Daily after midnight: if yesterday closed a quarter, store every target as of that day."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    quarter = (yesterday.month - 1) // 3 + 1
    if yesterday != quarter_end(yesterday.year, quarter):
        return 0
    return sum(
        services.snapshot_store(plan=plan, as_of=yesterday)
        for plan in _plans_running_on(yesterday).filter(ends_on__gte=yesterday)
    )


def _quarters_due_between(plan: Plan, first: datetime.date, last: datetime.date):
    """(year, quarter) of the plan's quarters whose report is due between the two dates."""
    year, quarter = plan.starts_on.year, (plan.starts_on.month - 1) // 3 + 1
    while quarter_end(year, quarter) <= plan.ends_on:
        if first <= quarterly_report_due(year, quarter) <= last:
            yield year, quarter
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


@shared_task(acks_late=True)
def remind_quarterly_reports(today: str | None = None) -> int:
    """Daily (issue 7, "Reminders"): township offices are told of a quarterly report due within
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
