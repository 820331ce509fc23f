"""Scheduled snapshots of every target (CELERY_BEAT_SCHEDULE in settings)."""

import datetime

from celery import shared_task
from django.utils import timezone

from . import services
from .models import Plan, quarter_end


def _plans_running_on(day: datetime.date):
    return Plan.objects.filter(starts_on__lte=day)


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
