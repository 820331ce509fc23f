"""Imports above the threshold are checked and saved by tasks: the job page shows a progress
bar until the preview or the result is ready; the write is all or nothing, exactly once."""

import pytest
from django.urls import reverse

from registry.models import Organisation
from tests.tasks.conftest import THRESHOLD, workbook
from zhenhai_so import jobs
from zhenhai_so.models import ImportJob, Notification

START = reverse("imports:start", kwargs={"kind": "organisations"})


def _job_url(job, name="imports:job"):
    return reverse(name, kwargs={"kind": "organisations", "pk": job.pk})


@pytest.fixture
def upload(client_for, staff, org_row, django_capture_on_commit_callbacks):
    """Upload ``n`` valid rows as staff (tasks run eagerly at commit); returns the job."""

    def run(n, start=1):
        client = client_for(staff)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(START, {"file": workbook(org_row, n, start)})
        job = ImportJob.objects.latest("pk")
        assert response.status_code == 302 and response.url == _job_url(job)
        return job

    return run


def test_a_large_upload_is_checked_by_a_task(upload, staff):
    job = upload(THRESHOLD + 3)
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED
    assert job.counts == {"new": 8, "updated": 0, "unchanged": 0, "invalid": 0}
    assert (job.rows_done, job.rows_total) == (8, 8)
    assert job.queued_at is not None
    assert Notification.objects.filter(user=staff, kind=Notification.Kind.JOB).count() == 1
    assert not Organisation.objects.exists()  # checking writes nothing


def test_a_small_upload_is_checked_at_once(upload):
    job = upload(THRESHOLD)
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED
    assert job.queued_at is None  # no task


def test_a_waiting_job_shows_the_progress_bar(client_for, staff, org_row, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda task, pk: True)  # the broker took it; no worker
    client = client_for(staff)
    client.post(START, {"file": workbook(org_row, THRESHOLD + 1)})
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.UPLOADED
    page = client.get(_job_url(job))
    assert b'data-testid="progress"' in page.content
    assert b"js/progress.js" in page.content
    data = client.get(reverse("jobs:import_progress", kwargs={"pk": job.pk})).json()
    assert (data["done"], data["total"], data["finished"]) == (0, THRESHOLD + 1, False)


def test_confirming_a_large_import_saves_it_by_a_task(
    upload, client_for, staff, django_capture_on_commit_callbacks
):
    job = upload(THRESHOLD + 2)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(_job_url(job, "imports:apply"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLIED
    assert job.counts["new"] == THRESHOLD + 2
    assert Organisation.objects.count() == THRESHOLD + 2
    assert job.rows_done == job.rows_total == THRESHOLD + 2
    data = client_for(staff).get(reverse("jobs:import_progress", kwargs={"pk": job.pk})).json()
    assert data["finished"] is True


def test_running_the_apply_task_twice_writes_once(upload, staff, monkeypatch):
    job = upload(THRESHOLD + 2)
    job.refresh_from_db()
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda task, job: None)
    jobs.import_job_apply(job=job, skip_invalid=False)
    first = jobs.import_job_run_apply(job_id=job.pk)
    assert first.state == ImportJob.State.APPLIED
    assert jobs.import_job_run_apply(job_id=job.pk) is None  # sees applied, returns
    assert Organisation.objects.count() == THRESHOLD + 2


def test_a_confirmed_import_cannot_be_confirmed_again(upload, client_for, staff, monkeypatch):
    job = upload(THRESHOLD + 2)
    monkeypatch.setattr(jobs, "enqueue", lambda task, pk: True)
    client = client_for(staff)
    client.post(_job_url(job, "imports:apply"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLYING
    client.post(_job_url(job, "imports:apply"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLYING  # refused: "already been run"


def test_invalid_rows_block_the_task_too(client_for, staff, org_row, monkeypatch):
    from tests.imports.conftest import xlsx

    rows = [org_row(serial=i) for i in range(1, THRESHOLD + 3)]
    rows[2]["名称"] = None
    client = client_for(staff)
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda task, job: None)
    client.post(START, {"file": xlsx(rows)})
    job = ImportJob.objects.get()
    jobs.import_job_run_preview(job_id=job.pk)
    job.refresh_from_db()
    assert job.counts["invalid"] == 1
    jobs.import_job_apply(job=job, skip_invalid=False)
    job = jobs.import_job_run_apply(job_id=job.pk)
    assert job.state == ImportJob.State.PREVIEWED
    assert not Organisation.objects.exists()
    jobs.import_job_apply(job=job, skip_invalid=True)
    job = jobs.import_job_run_apply(job_id=job.pk)
    assert job.state == ImportJob.State.APPLIED
    assert Organisation.objects.count() == THRESHOLD + 1


def test_a_task_that_gives_up_leaves_a_visible_error(
    upload, client_for, staff, monkeypatch, django_capture_on_commit_callbacks
):
    job = upload(THRESHOLD + 2)
    job.refresh_from_db()
    # The uploaded file vanished from the disk: the job fails with the reason.
    job.file.delete(save=False)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(_job_url(job, "imports:apply"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "上传的文件已不再保存" in job.message  # the upload is gone: upload it again
    page = client_for(staff).get(_job_url(job))
    assert b'data-testid="job-message"' in page.content
    assert Notification.objects.filter(user=staff, title__contains=job.original_name).exists()
    assert not Organisation.objects.exists()


def test_another_user_cannot_watch_an_import(upload, client_for, township_user):
    job = upload(THRESHOLD + 1)
    url = reverse("jobs:import_progress", kwargs={"pk": job.pk})
    assert client_for(township_user).get(url).status_code == 404
