"""A double-click on 确认导入 imports once: the confirmation locks the job row and re-checks its
state inside the transaction, in the request and in the task alike (docs/security.md)."""

import threading

from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.urls import reverse

from registry.models import Organisation
from tests.conftest import require_service
from tests.imports.conftest import xlsx
from tests.tasks.conftest import reference_restored  # noqa: F401  (a fixture)
from zhenhai_so import jobs
from zhenhai_so.models import ImportJob

START = reverse("imports:start", kwargs={"kind": "organisations"})


def _apply_url(job):
    return reverse("imports:apply", kwargs={"kind": "organisations", "pk": job.pk})


def test_a_second_confirmation_with_a_stale_job_imports_nothing(client_for, staff, org_row):
    """The second click's request loaded the job before the first one committed: it must see
    the job's state as it is now, under the lock, and write nothing."""
    client = client_for(staff)
    client.post(START, {"file": xlsx([org_row(i) for i in range(1, 6)])})
    stale = ImportJob.objects.get()
    assert stale.state == ImportJob.State.PREVIEWED
    client.post(_apply_url(stale))
    assert Organisation.objects.count() == 5

    again = jobs.import_job_apply(job=stale, skip_invalid=False)

    assert again.state == ImportJob.State.APPLIED
    assert again.message == ""
    assert Organisation.objects.count() == 5
    assert LogEntry.objects.get_for_model(Organisation).count() == 5


def test_the_second_click_sees_already_imported_and_the_result_page(client_for, staff, org_row):
    client = client_for(staff)
    client.post(START, {"file": xlsx([org_row(1)])})
    job = ImportJob.objects.get()
    client.post(_apply_url(job))
    response = client.post(_apply_url(job), follow=True)
    assert response.status_code == 200
    assert b"already been imported" in response.content
    assert response.redirect_chain[-1][0].endswith(
        reverse("imports:job", kwargs={"kind": "organisations", "pk": job.pk})
    )
    assert Organisation.objects.count() == 1


def test_two_simultaneous_confirmations_import_once_on_postgresql(
    reference_restored,  # noqa: F811  (requested first: it reloads after the flush)
    transactional_db,
    staff,
    org_row,
    settings,
):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", f"tests run on {connection.vendor}; set DATABASE_URL")
    settings.LANGUAGE_CODE = "en"
    uploader = Client()
    uploader.force_login(staff)
    uploader.post(START, {"file": xlsx([org_row(i) for i in range(1, 31)])})
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.PREVIEWED

    barrier = threading.Barrier(2)
    statuses = []

    def click():
        try:
            client = Client()
            client.force_login(staff)
            barrier.wait(timeout=10)
            statuses.append(client.post(_apply_url(job)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [302, 302]
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLIED, job.message
    assert Organisation.objects.count() == 30
    assert LogEntry.objects.get_for_model(Organisation).count() == 30
