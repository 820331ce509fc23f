"""Exports above the threshold run as a job: the download appears in "My downloads" for the
user who asked, for seven days, and for nobody else."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import OrganisationFactory
from zhenhai_so import jobs
from zhenhai_so.models import Download, Notification

LIST = reverse("registry:organisation_list")


@pytest.fixture
def organisations(township, other_township):
    """Seven in the township, three elsewhere: over the threshold (5) for staff and for the
    township office alike."""
    mine = OrganisationFactory.create_batch(7, township=township)
    OrganisationFactory.create_batch(3, township=other_township)
    return mine


def _rows(download):
    with download.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
        return list(sheet.iter_rows(values_only=True))


def test_export_over_the_threshold_becomes_a_download(
    client_for, township_user, organisations, django_capture_on_commit_callbacks
):
    client = client_for(township_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(LIST, {"export": "xlsx"})
    download = Download.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:download_detail", kwargs={"pk": download.pk})
    assert download.user == township_user
    assert download.state == Download.State.DONE
    assert (download.rows_done, download.rows_total) == (7, 7)
    # The township office's own seven, header first: scoped like the list.
    rows = _rows(download)
    assert len(rows) == 8
    assert {r[1] for r in rows[1:]} == {o.name for o in organisations}
    assert download.expires_at - download.finished_at == datetime.timedelta(days=7)
    note = Notification.objects.get(user=township_user, kind=Notification.Kind.JOB)
    assert note.link == reverse("jobs:download_list")


def test_export_keeps_the_lists_filter(client_for, staff, organisations, township):
    client = client_for(staff)
    client.get(LIST, {"export": "xlsx", "township": township.pk})
    download = Download.objects.get()
    assert "township" in download.params["query"] and "export" not in download.params["query"]


def test_small_export_is_still_immediate(client_for, staff, township):
    OrganisationFactory.create_batch(2, township=township)
    response = client_for(staff).get(LIST, {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Download.objects.exists()


def test_download_page_shows_the_link_and_serves_the_file(
    client_for, staff, organisations, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(LIST, {"export": "xlsx"})
    download = Download.objects.get()
    page = client.get(reverse("jobs:download_detail", kwargs={"pk": download.pk}))
    assert b'data-testid="download-link"' in page.content
    listing = client.get(reverse("jobs:download_list"))
    assert download.filename.encode() in listing.content
    response = client.get(reverse("jobs:download_file", kwargs={"pk": download.pk}))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert len(_rows(download)) == 11  # staff see all ten


def test_another_user_gets_404_for_every_page_of_a_download(
    client_for, staff, township_user, organisations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).get(LIST, {"export": "xlsx"})
    download = Download.objects.get()
    client = client_for(township_user)
    for name in ("download_detail", "download_progress", "download_file"):
        url = reverse(f"jobs:{name}", kwargs={"pk": download.pk})
        assert client.get(url).status_code == 404, name
    assert download.filename.encode() not in client.get(reverse("jobs:download_list")).content


def test_an_expired_download_is_gone_for_its_owner_too(client_for, staff):
    download = Download.objects.create(
        user=staff,
        kind="registry.views.organisation_export",
        title="x",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    url = reverse("jobs:download_detail", kwargs={"pk": download.pk})
    assert client_for(staff).get(url).status_code == 404


def test_progress_reports_rows_done_of_rows_total(client_for, staff):
    download = Download.objects.create(
        user=staff, kind="registry.views.organisation_export", title="x", rows_total=40
    )
    Download.objects.filter(pk=download.pk).update(rows_done=10)
    url = reverse("jobs:download_progress", kwargs={"pk": download.pk})
    data = client_for(staff).get(url).json()
    assert (data["done"], data["total"], data["finished"]) == (10, 40, False)
    assert data["state"] == "queued"


def test_a_builder_that_fails_leaves_a_visible_error_and_a_notification(
    client_for, staff, organisations, monkeypatch, django_capture_on_commit_callbacks
):
    # What leaves the process: the disk refuses the file (an OSError, retried, then given up).
    from django.core.files.storage import FileSystemStorage

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).get(LIST, {"export": "xlsx"})
    download = Download.objects.get()
    assert download.state == Download.State.FAILED
    assert "No space left on device" in download.error
    page = client_for(staff).get(reverse("jobs:download_detail", kwargs={"pk": download.pk}))
    assert b'data-testid="job-message"' in page.content
    assert Notification.objects.filter(user=staff, key=f"download-{download.uuid}").count() == 1


def test_running_the_export_twice_does_no_harm(staff, organisations):
    download = jobs.start_export(
        user=staff, kind="registry.views.organisation_export", title="x", params={}
    )
    jobs.download_run(download_id=download.pk)
    first = Download.objects.get(pk=download.pk)
    assert jobs.download_run(download_id=download.pk) is None  # finished: left alone
    again = Download.objects.get(pk=download.pk)
    assert (again.file.name, again.finished_at) == (first.file.name, first.finished_at)


def test_only_marked_builders_can_be_queued(staff):
    with pytest.raises(ValueError):
        jobs.start_export(user=staff, kind="os.remove", title="x", params={})


def test_my_downloads_query_count(client_for, staff, django_assert_max_num_queries):
    for _ in range(15):
        Download.objects.create(user=staff, kind="registry.views.organisation_export", title="x")
    client = client_for(staff)
    # session, user, count, one page of downloads; the layout's permissions (2) and unread
    # count; the session saved; the middleware's checks
    with django_assert_max_num_queries(10):
        response = client.get(reverse("jobs:download_list"))
    assert response.status_code == 200


def test_download_page_query_count(client_for, staff, django_assert_max_num_queries):
    download = Download.objects.create(
        user=staff, kind="registry.views.organisation_export", title="x"
    )
    client = client_for(staff)
    # session, user, the download; the layout's permissions (2) and unread count; the session
    # saved (SESSION_SAVE_EVERY_REQUEST); and the login-time checks of the middleware
    with django_assert_max_num_queries(9):
        response = client.get(reverse("jobs:download_detail", kwargs={"pk": download.pk}))
    assert b'data-testid="progress"' in response.content


def test_a_transient_error_is_retried_and_the_export_then_succeeds(
    staff, organisations, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    from zhenhai_so.tasks import run_export

    real_save, calls = FileSystemStorage._save, []

    def flaky(self, name, content):
        calls.append(name)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky)
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_on_commit", lambda task, job: None)
        download = jobs.start_export(
            user=staff, kind="registry.views.organisation_export", title="x", params={}
        )
    run_export.apply(args=(download.pk,), throw=False)
    download.refresh_from_db()
    assert len(calls) == 2
    assert download.state == Download.State.DONE
