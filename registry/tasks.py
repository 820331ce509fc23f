"""Scheduled work of the register (the beat schedule is in settings)."""

import datetime

from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from .models import Organisation
from .services import with_reporting_status


@shared_task(acks_late=True)
def remind_overdue_annual_reports(today: str | None = None) -> int:
    """After 31 May, tell bureau staff how many organisations have not reported for last year,
    with the one-click proposal to list them. Once per year (the notification key)."""
    today = datetime.date.fromisoformat(today) if today else timezone.localdate()
    year = today.year - 1
    if today <= datetime.date(today.year, 5, 31):
        return 0
    obliged = Organisation.objects.legal_on(datetime.date(year, 12, 31)).filter(
        registered_on__lt=datetime.date(year, 1, 1)
    )
    overdue = with_reporting_status(obliged, year, today).filter(status_code="overdue").count()
    if not overdue:
        return 0
    created = notify(
        users=User.objects.filter(role=Role.BUREAU_STAFF),
        kind=Notification.Kind.REMINDER,
        title=_("%(n)d organisations have not submitted their %(year)s annual report")
        % {"n": overdue, "year": year},
        body=_("They can be put on the abnormal list in one action from the annual report board."),
        link=f"{reverse('registry:annual_report_board')}?year={year}&only=overdue",
        key=f"annual-reports-overdue-{year}",
    )
    return len(created)
