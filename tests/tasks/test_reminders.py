"""Quarterly report reminders: due within 7 days and late to township offices (not when the
report is in), waiting for review to staff; each once per key however often the task runs."""

import datetime

import pytest
from django.utils import timezone

from targets.models import Plan, QuarterlyReport
from targets.tasks import remind_quarterly_reports
from zhenhai_so.models import Notification


@pytest.fixture
def plan(db):
    return Plan.objects.get(code="zhenhai-2018-2020")


def _titles(user):
    return sorted(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_township_offices_are_told_a_week_before_and_once_when_late(
    plan, township_user, other_township_user, staff
):
    # 2019Q3 ends on 30 September and is due on 15 October.
    remind_quarterly_reports("2019-10-07")
    assert _titles(township_user) == []  # eight days before
    remind_quarterly_reports("2019-10-08")
    remind_quarterly_reports("2019-10-12")
    assert len(_titles(township_user)) == 1 and "2019Q3" in _titles(township_user)[0]
    remind_quarterly_reports("2019-10-16")
    remind_quarterly_reports("2019-10-20")
    assert len(_titles(other_township_user)) == 2  # due, then late: once each
    assert not Notification.objects.filter(user=staff).exists()


def test_no_reminder_for_a_report_handed_in_and_staff_told_it_waits(
    plan, township, township_user, other_township_user, staff
):
    report = QuarterlyReport.objects.create(
        plan=plan,
        township=township,
        year=2019,
        quarter=3,
        state=QuarterlyReport.State.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(2019, 10, 9, 10, 0)),
    )
    remind_quarterly_reports("2019-10-10")
    remind_quarterly_reports("2019-10-11")
    assert _titles(township_user) == []
    assert len(_titles(other_township_user)) == 1
    reviews = Notification.objects.filter(user=staff, kind=Notification.Kind.REVIEW)
    assert reviews.count() == 1
    assert reviews.get().link.endswith(f"/{report.pk}/")
