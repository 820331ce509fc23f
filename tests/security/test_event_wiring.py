"""Imports, exports, downloads and approvals reach the security event log, and auditors see and
export it on the audit page (SECURITY.md item 11)."""

import re

import pytest
from auditlog.context import set_actor
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from registry import services as registry_services
from tests.factories import make_user
from tests.imports.conftest import org_row, xlsx  # noqa: F401  (org_row: a fixture)
from zhenhai_so.models import Download, ImportJob
from zhenhai_so.roles import Role
from zhenhai_so.security.models import EventKind, SecurityEvent
from zhenhai_so.security.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _only(kind):
    events = list(SecurityEvent.objects.filter(kind=kind))
    assert len(events) == 1, events
    return events[0]


def test_a_list_export_is_an_export_event(client_for, sysadmin):
    response = client_for(sysadmin).get(
        reverse("users:list") + "?export=xlsx", REMOTE_ADDR="10.9.8.7"
    )
    assert response.status_code == 200
    event = _only(EventKind.EXPORT)
    assert (event.username, event.address, event.success) == ("sys_admin", "10.9.8.7", True)
    assert event.detail.startswith("users:list: users-") and event.detail.endswith(".xlsx")


def test_a_page_that_is_not_a_file_records_nothing(client_for, sysadmin):
    client_for(sysadmin).get(reverse("users:list"))
    assert not SecurityEvent.objects.exclude(kind=EventKind.LOGIN).exists()


def test_a_background_export_is_recorded_when_asked_for_and_its_file_as_a_download(
    client_for, staff, settings, monkeypatch
):
    from tests.factories import OrganisationFactory
    from zhenhai_so import jobs

    settings.BACKGROUND_ROWS = 1
    monkeypatch.setattr(jobs, "enqueue", lambda task, pk: True)  # the broker takes it
    OrganisationFactory.create_batch(2)
    client = client_for(staff)
    response = client.get(reverse("registry:organisation_list") + "?export=xlsx")
    download = Download.objects.get()
    assert response.url == reverse("jobs:download_detail", kwargs={"pk": download.pk})
    queued = _only(EventKind.EXPORT)
    assert (queued.user, queued.object_id) == (staff, str(download.pk))
    # The worker finished it; fetching the file is a download.
    download.file.save("done.xlsx", ContentFile(b"PK\x03\x04 a workbook"), save=False)
    download.filename, download.state = "机构名录.xlsx", Download.State.DONE
    download.finished_at = download.created_at
    download.save()
    response = client.get(reverse("jobs:download_file", kwargs={"pk": download.pk}))
    assert response.status_code == 200
    fetched = _only(EventKind.DOWNLOAD)
    assert fetched.username == "staff_user" and fetched.detail.endswith("机构名录.xlsx")


def test_an_applied_import_is_an_import_event(client_for, staff, org_row):  # noqa: F811
    client = client_for(staff)
    start = reverse("imports:start", kwargs={"kind": "organisations"})
    client.post(start, {"file": xlsx([org_row(1), org_row(2)])}, REMOTE_ADDR="10.1.2.3")
    job = ImportJob.objects.get()
    assert not SecurityEvent.objects.filter(kind=EventKind.IMPORT).exists()  # a preview only
    client.post(reverse("imports:apply", args=["organisations", job.pk]), REMOTE_ADDR="10.1.2.3")
    applied = _only(EventKind.IMPORT)
    assert (applied.user, applied.success, applied.address) == (staff, True, "10.1.2.3")
    assert applied.object_id == str(job.pk) and "new 2" in applied.detail
    # A second confirm writes nothing and logs nothing.
    client.post(reverse("imports:apply", args=["organisations", job.pk]))
    assert SecurityEvent.objects.filter(kind=EventKind.IMPORT).count() == 1


def test_an_import_that_fails_is_a_failed_import_event(staff):
    from zhenhai_so.jobs import import_job_fail

    job = ImportJob.objects.create(user=staff, kind="organisations", state="applying")
    import_job_fail(job_id=job.pk, error="disk full")
    event = SecurityEvent.objects.get(kind=EventKind.IMPORT)
    assert (event.success, event.user) == (False, staff)
    assert "disk full" in event.detail
    import_job_fail(job_id=job.pk, error="again")  # already failed: no second event
    assert SecurityEvent.objects.filter(kind=EventKind.IMPORT).count() == 1


def test_approving_an_application_is_an_approval_event(staff, township):
    application = registry_services.application_save_draft(
        application=None,
        kind="establish",
        actor=staff,
        township=township,
        data={
            "name": "待批组织",
            "credit_code": "51330211MJ0000018X",
            "org_type": "social_group",
            "registration_mode": "direct",
            "sector": "charity",
            "township": township.pk,
            "registered_on": "2020-01-01",
        },
    )
    # As in a request: auditlog's middleware names the actor of the audit entries.
    with set_actor(staff, remote_addr="10.0.0.4"):
        registry_services.application_submit(application=application, actor=staff)
    assert not SecurityEvent.objects.filter(kind=EventKind.APPROVAL).exists()
    # The one who submitted may not approve: a second member of staff does.
    approver = make_user("approver", Role.BUREAU_STAFF)
    with set_actor(approver, remote_addr="10.0.0.5"):
        registry_services.application_approve(application=application, actor=approver)
    event = _only(EventKind.APPROVAL)
    assert (event.user, event.object_id, event.address) == (
        approver,
        str(application.pk),
        "10.0.0.5",
    )
    assert event.object_type == "registry.registrationapplication"
    assert event.detail == "state: submitted -> approved"


def test_approving_a_project_is_an_approval_event(client_for, staff):
    from procurement.models import Project
    from tests.factories import OrganisationFactory, ProjectFactory

    project = ProjectFactory(organisation=OrganisationFactory())
    assert project.state == Project.State.DECLARED
    response = client_for(staff).post(
        reverse("procurement:project_action", kwargs={"pk": project.pk, "action": "approve"})
    )
    assert response.status_code == 302
    event = _only(EventKind.APPROVAL)
    assert event.object_type == "procurement.project" and event.detail.endswith("-> approved")


# --- The audit page.


def test_auditors_see_search_and_export_the_security_events(
    client_for, auditor, staff, django_assert_max_num_queries
):
    for i in range(30):
        record_event(None, EventKind.EXPORT, user=staff, detail=f"export {i}")
    record_event(None, EventKind.LOGIN_FAILED, success=False, username="intruder")
    client = client_for(auditor)
    url = reverse("audit:list")
    with django_assert_max_num_queries(10):
        response = client.get(url + "?log=events")
    page = response.content.decode()
    assert response.status_code == 200
    assert "intruder" in page and "export 29" in page
    assert 'aria-current="page" href="/audit/?log=events"' in page
    response = client.get(url + "?log=events&kind=login_failed")
    assert "intruder" in response.content.decode()
    assert "export 29" not in response.content.decode()
    response = client.get(url + "?log=events&success=0&q=intr")
    assert "intruder" in response.content.decode()
    response = client.get(url + "?log=events&export=xlsx&kind=login_failed")
    assert response.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(_content(response)).active.values)
    assert rows[0][:3] == ("时间", "用户", "类型") and len(rows) == 2 and rows[1][1] == "intruder"
    # The export itself is on the record.
    assert SecurityEvent.objects.filter(kind=EventKind.EXPORT, username="audit_admin").exists()


def test_only_auditors_open_the_security_events(client_for, staff, secadmin, leader):
    for user in (staff, secadmin, leader):
        response = client_for(user).get(reverse("audit:list") + "?log=events")
        assert response.status_code == 403


@pytest.mark.parametrize("log", ["events", ""])
def test_hostile_filters_do_not_break_either_audit_tab(client_for, auditor, log):
    response = client_for(auditor).get(
        reverse("audit:list"),
        {
            "log": log,
            "kind": "<script>",
            "action": "<b>",
            "success": "x",
            "since": "2020-13-45",
            "until": "9999-99-99",
            "q": "' OR 1=1 --",
        },
    )
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[-1]


def _content(response):
    import io

    return io.BytesIO(b"".join(response.streaming_content))


# --- Download file names (SECURITY.md item 20).

HOSTILE_NAMES = [
    "../../etc/passwd",
    'a"b\r\nSet-Cookie: session=x',
    "报表;filename=evil.exe",
    "=cmd|' /C calc'!A0.xlsx",
    "名单\x00.xlsx",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_download_names_are_generated_and_encoded(name, client_for, staff):
    from urllib.parse import unquote

    from zhenhai_so.excel import content_disposition

    header = content_disposition(name)
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert re.fullmatch(r"[A-Za-z0-9._-]*", fallback)
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9%._~-]*", encoded)  # RFC 5987 attr-chars only: no / ; "
    assert unquote(encoded) == name
    if "\x00" in name:
        return  # PostgreSQL stores no NUL: such a name never reaches a stored download
    # The same through a real download of a record the user owns.
    download = Download(user=staff, kind="k", title="t", filename=name, state=Download.State.DONE)
    download.finished_at = timezone.now()
    download.file.save("f.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    response = client_for(staff).get(reverse("jobs:download_file", kwargs={"pk": download.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == header


# --- No passwords or personal data in logs (SECURITY.md item 13).


def test_an_import_logs_no_personal_data(client_for, staff, org_row, caplog):  # noqa: F811
    import logging

    client = client_for(staff)
    row = org_row(1, 法定代表人="欧阳秘密人", 联系电话="13912345678")
    bad = org_row(2, 法定代表人="司马隐私", 联系电话="13987654321", 成立日期="去年")
    start = reverse("imports:start", kwargs={"kind": "organisations"})
    with caplog.at_level(logging.DEBUG):
        client.post(start, {"file": xlsx([row, bad])})
        job = ImportJob.objects.get()
        client.post(
            reverse("imports:apply", args=["organisations", job.pk]), {"skip_invalid": "on"}
        )
    assert ImportJob.objects.get().state == "applied"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("欧阳秘密人", "13912345678", "司马隐私", "13987654321"):
        assert secret not in logged
    events = " ".join(SecurityEvent.objects.values_list("detail", flat=True))
    assert "13912345678" not in events and "欧阳秘密人" not in events
