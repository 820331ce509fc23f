"""Scheduled work: the clean-up, the sweeper, the schedule page, and the reminders (created
once per key however often the task runs)."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import EvaluationFactory, OrganisationFactory
from zhenhai_so import jobs
from zhenhai_so.models import Download, ImportJob, Notification, TaskRun


def _download(user, **fields):
    return Download.objects.create(
        user=user, kind="registry.views.organisation_export", title="x", **fields
    )


def test_clean_up_deletes_expired_downloads_and_week_old_import_files(staff, media_root):
    now = timezone.now()
    expired = _download(staff, expires_at=now - datetime.timedelta(minutes=1))
    expired.file.save("a.xlsx", ContentFile(b"old"), save=True)
    kept = _download(staff)
    kept.file.save("b.xlsx", ContentFile(b"new"), save=True)
    old_job = ImportJob.objects.create(user=staff, kind="organisations")
    old_job.file.save("c.xlsx", ContentFile(b"old"), save=True)
    ImportJob.objects.filter(pk=old_job.pk).update(created_at=now - datetime.timedelta(days=8))
    new_job = ImportJob.objects.create(user=staff, kind="organisations")
    new_job.file.save("d.xlsx", ContentFile(b"new"), save=True)
    expired_path, old_path = expired.file.path, old_job.file.path

    assert jobs.clean_up_files(now=now) == {"downloads": 1, "import_files": 1}

    assert not Download.objects.filter(pk=expired.pk).exists()
    assert Download.objects.filter(pk=kept.pk).exists()
    old_job.refresh_from_db()
    assert old_job.file.name == ""  # the row stays: who imported what
    import os

    assert not os.path.exists(expired_path) and not os.path.exists(old_path)
    assert os.path.exists(kept.file.path) and os.path.exists(new_job.file.path)
    assert jobs.clean_up_files(now=now) == {"downloads": 0, "import_files": 0}


def test_sweeper_requeues_only_jobs_stuck_for_five_minutes(staff, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, pk: sent.append((task.name, pk)) or True)
    now = timezone.now()
    stuck = _download(staff, queued_at=now - datetime.timedelta(minutes=6))
    _download(staff, queued_at=now - datetime.timedelta(minutes=2))  # still fresh
    _download(staff, state=Download.State.DONE, finished_at=now, queued_at=now)
    job = ImportJob.objects.create(
        user=staff,
        kind="organisations",
        state=ImportJob.State.APPLYING,
        queued_at=now - datetime.timedelta(minutes=10),
    )
    assert jobs.requeue_stuck(now=now) == 2
    assert sorted(sent) == [
        ("zhenhai_so.tasks.apply_import", job.pk),
        ("zhenhai_so.tasks.run_export", stuck.pk),
    ]
    stuck.refresh_from_db()
    assert stuck.queued_at == now
    assert jobs.requeue_stuck(now=now) == 0  # handed over again just now


def test_requeue_jobs_command(staff, monkeypatch, capsys):
    monkeypatch.setattr(jobs, "enqueue", lambda task, pk: True)
    _download(staff, queued_at=timezone.now() - datetime.timedelta(minutes=6))
    call_command("requeue_jobs")
    assert "1" in capsys.readouterr().out


def test_schedule_page_lists_every_beat_entry_in_words(client_for, sysadmin, settings):
    from zhenhai_so.tasks import clean_up_files

    clean_up_files.delay()  # eager: the signals record the run
    run = TaskRun.objects.get(task="zhenhai_so.tasks.clean_up_files")
    assert run.outcome == TaskRun.Outcome.OK and run.runs == 1 and run.finished_at
    response = client_for(sysadmin).get(reverse("jobs:schedule"))
    content = response.content.decode()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert name in content and entry["task"] in content
    assert "03:00" in content


def test_a_task_outside_the_schedule_leaves_no_run(staff):
    from zhenhai_so.tasks import send_notification_emails

    send_notification_emails.delay([])
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ({"minute": "*/5"}, "every 5 minutes"),
        ({"hour": 8, "minute": 0}, "daily at 08:00"),
        ({"hour": 0, "minute": 30, "day_of_month": 1}, "cron: minute 30, hour 0, day 1"),
    ],
)
def test_schedules_in_words(schedule, words):
    from celery.schedules import crontab
    from django.utils import translation

    with translation.override("en"):
        assert jobs.describe_schedule(crontab(**schedule)).startswith(words)
        assert jobs.describe_schedule(datetime.timedelta(minutes=10)) == "every 10 minutes"


def test_schedule_page_query_count(client_for, sysadmin, django_assert_max_num_queries):
    client = client_for(sysadmin)
    # session, user, task runs (one query for all); layout permissions (2), unread count;
    # session saved; middleware checks
    with django_assert_max_num_queries(9):
        client.get(reverse("jobs:schedule"))


# --- Reminders


@pytest.fixture
def expiring(township):
    """A legal organisation whose current 3A grade ends on 2020-03-01."""
    organisation = OrganisationFactory(township=township)
    evaluation = EvaluationFactory(organisation=organisation, published=True)
    valid_until = datetime.date(2020, 3, 1)
    type(evaluation).objects.filter(pk=evaluation.pk).update(valid_until=valid_until)
    type(organisation).objects.filter(pk=organisation.pk).update(grade_expires_on=valid_until)
    evaluation.refresh_from_db()
    return evaluation


def test_staff_are_told_of_an_expiring_grade_once_a_month(staff, township_user, expiring):
    from evaluation.tasks import remind_expiring_evaluations

    assert remind_expiring_evaluations("2019-12-15") == 1
    assert remind_expiring_evaluations("2019-12-20") == 0  # same month: same key
    assert remind_expiring_evaluations("2020-01-05") == 1  # a month on: told again
    notes = Notification.objects.filter(user=staff, kind=Notification.Kind.REMINDER)
    assert notes.count() == 2
    assert notes.first().link == reverse("evaluation:evaluation_detail", kwargs={"pk": expiring.pk})
    assert not Notification.objects.filter(user=township_user).exists()  # staff only


def test_no_reminder_outside_the_90_days(staff, expiring):
    from evaluation.tasks import remind_expiring_evaluations

    assert remind_expiring_evaluations("2019-11-30") == 0  # 92 days before
    assert remind_expiring_evaluations("2020-03-02") == 0  # already expired
    assert remind_expiring_evaluations("2019-12-02") == 1  # 90 days before
