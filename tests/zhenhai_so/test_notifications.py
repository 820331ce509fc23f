"""The notification centre: reminders once per key, the bell, reading, e-mail when configured."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from registry import services
from registry.tasks import remind_overdue_annual_reports
from tests.factories import AnnualReportFactory, OrganisationFactory, make_user
from zhenhai_so.models import Notification
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

pytestmark = pytest.mark.django_db


def test_a_keyed_reminder_is_created_once(staff):
    for _ in range(3):
        notify(users=[staff], kind="reminder", title="逾期提醒", key="late-2019Q3")
    assert Notification.objects.filter(user=staff).count() == 1


def test_inactive_users_are_not_notified(staff):
    staff.is_active = False
    staff.save()
    assert notify(users=[staff], kind="reminder", title="x") == []


def test_bell_shows_the_unread_count_and_reading_clears_it(client_for, staff):
    notify(users=[staff], kind="reminder", title="第一条", link="/registry/")
    notify(users=[staff], kind="reminder", title="第二条")
    client = client_for(staff)
    page = client.get(reverse("registry:overview")).content.decode()
    assert 'data-testid="bell"' in page and ">2</span>" in page
    first = Notification.objects.get(title="第一条")
    response = client.post(reverse("notifications:read"), {"id": first.pk, "open": "1"})
    assert response.url == "/registry/"
    client.post(reverse("notifications:read"))
    assert not Notification.objects.filter(user=staff, read_at__isnull=True).exists()


def test_nobody_reads_someone_elses_notification(client_for, staff, leader):
    notification = notify(users=[staff], kind="reminder", title="私有")[0]
    response = client_for(leader).post(reverse("notifications:read"), {"id": notification.pk})
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_notifications_are_emailed_when_email_is_configured(
    settings, staff, django_capture_on_commit_callbacks, eager_tasks
):
    settings.EMAIL_ENABLED = True
    staff.email = "staff@example.gov.cn"
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[staff], kind="reminder", title="请审核", link="/registry/applications/")
    assert len(mail.outbox) == 1
    assert "请审核" in mail.outbox[0].subject
    assert Notification.objects.get().emailed_at is not None


def test_submitted_application_notifies_staff_and_return_notifies_the_submitter(staff, township):
    other_staff = make_user("reviewer", Role.BUREAU_STAFF)
    application = services.application_save_draft(
        application=None,
        kind="establish",
        actor=staff,
        township=township,
        data={
            "name": "待审组织",
            "credit_code": "",
            "org_type": "social_group",
            "registration_mode": "direct",
            "sector": "charity",
            "township": township.pk,
            "registered_on": "2020-01-01",
        },
    )
    application.data["credit_code"] = "51330211MJ0000018X"
    application.save()
    services.application_submit(application=application, actor=staff)
    assert Notification.objects.filter(user=other_staff, kind="review").count() == 1
    services.application_return(application=application, actor=other_staff, reason="补正材料")
    returned = Notification.objects.get(user=staff, kind="returned")
    assert returned.body == "补正材料"


def test_overdue_annual_report_reminder_runs_once_a_year(staff):
    missing = OrganisationFactory(registered_on=datetime.date(2015, 1, 1))
    reported = OrganisationFactory(registered_on=datetime.date(2015, 1, 1))
    AnnualReportFactory(organisation=reported, year=2019, submitted_on=datetime.date(2020, 5, 1))
    assert remind_overdue_annual_reports("2020-05-31") == 0
    assert remind_overdue_annual_reports("2020-06-01") == 1
    assert remind_overdue_annual_reports("2020-06-02") == 0
    notification = Notification.objects.get(user=staff)
    assert "1" in notification.title and "only=overdue" in notification.link
    assert missing.pk
