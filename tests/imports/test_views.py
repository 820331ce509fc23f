"""The web import: upload → preview (nothing written) → confirm → result (SECURITY.md 15, 17)."""

import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import Organisation, OrgType
from tests.factories import OrganisationFactory
from tests.imports.conftest import xlsx
from zhenhai_so.models import ImportJob

START = reverse("imports:start", kwargs={"kind": "organisations"})


def _upload(client, rows, kind="organisations"):
    return client.post(
        reverse("imports:start", kwargs={"kind": kind}), {"file": xlsx(rows)}, follow=False
    )


# --- access -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(START)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_leaders_may_not_import(client_for, leader):
    assert client_for(leader).get(START).status_code == 403
    assert client_for(leader).post(START, {"file": xlsx([])}).status_code == 403


def test_township_users_may_not_import_annual_reports_without_the_permission(
    client_for, township_user
):
    url = reverse("imports:start", kwargs={"kind": "annual-reports"})
    assert client_for(township_user).get(url).status_code == 403


def test_an_unknown_kind_is_404(client_for, staff):
    assert client_for(staff).get("/imports/planets/").status_code == 404


def test_another_users_job_is_404(client_for, staff, township_user, org_row):
    _upload(client_for(township_user), [org_row(1)])
    job = ImportJob.objects.get()
    client = client_for(staff)
    assert client.get(reverse("imports:job", args=["organisations", job.pk])).status_code == 404
    apply = reverse("imports:apply", args=["organisations", job.pk])
    assert client.post(apply).status_code == 404


# --- behaviour --------------------------------------------------------------------------------


def test_the_start_page_lists_the_columns(client_for, staff):
    response = client_for(staff).get(START)
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()


def test_a_file_that_is_not_xlsx_is_refused_with_a_message_and_nothing_saved(client_for, staff):
    fake = io.BytesIO(b"%PDF-1.4 pretending")
    fake.name = "organisations.xlsx"
    response = client_for(staff).post(START, {"file": fake})
    assert response.status_code == 200
    assert "whatever its name says" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_preview_shows_counts_and_errors_and_writes_nothing(client_for, staff, org_row, media_root):
    client = client_for(staff)
    response = _upload(client, [org_row(1), org_row(2, 成立日期="去年")])
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:job", args=["organisations", job.pk])
    assert (job.state, job.counts["new"], job.counts["invalid"]) == ("previewed", 1, 1)
    assert (media_root / "imports" / f"{job.uuid}.xlsx").exists()
    page = client.get(response.url).content.decode()
    assert "去年" in page
    assert not Organisation.objects.exists()


def test_confirming_a_file_with_an_invalid_row_writes_nothing(client_for, staff, org_row):
    client = client_for(staff)
    _upload(client, [org_row(1), org_row(2, 成立日期="去年")])
    job = ImportJob.objects.get()
    client.post(reverse("imports:apply", args=["organisations", job.pk]))
    job.refresh_from_db()
    assert job.state == "previewed"
    assert not Organisation.objects.exists()


def test_confirming_with_skip_invalid_writes_the_valid_rows(client_for, staff, org_row):
    client = client_for(staff)
    _upload(client, [org_row(1), org_row(2, 成立日期="去年")])
    job = ImportJob.objects.get()
    client.post(reverse("imports:apply", args=["organisations", job.pk]), {"skip_invalid": "on"})
    job.refresh_from_db()
    assert (job.state, job.rows_done) == ("applied", 2)
    assert list(Organisation.objects.values_list("name", flat=True)) == ["镇海区导入测试协会1"]


def test_confirming_a_valid_file_writes_it_with_the_users_address(client_for, staff, org_row):
    client = client_for(staff)
    _upload(client, [org_row(1), org_row(2)])
    job = ImportJob.objects.get()
    response = client.post(
        reverse("imports:apply", args=["organisations", job.pk]), REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "applied"
    assert Organisation.objects.count() == 2
    entry = LogEntry.objects.filter(object_id=Organisation.objects.first().pk).latest("id")
    assert (entry.actor, entry.remote_addr) == (staff, "10.1.2.3")
    # A second confirm does not run the import again.
    client.post(reverse("imports:apply", args=["organisations", job.pk]))
    assert Organisation.objects.count() == 2


def test_a_township_users_import_lands_in_their_township(client_for, township_user, township):
    client = client_for(township_user)
    row = {"名称": "邻里互助会", "类型": "社区社会组织", "业务领域": "其他", "成立日期": "2020/1/1"}
    _upload(client, [row])
    job = ImportJob.objects.get()
    client.post(reverse("imports:apply", args=["organisations", job.pk]))
    org = Organisation.objects.get()
    assert (org.township, org.org_type) == (township, OrgType.COMMUNITY)


def test_the_error_workbook_holds_every_row_error(client_for, staff, org_row):
    client = client_for(staff)
    _upload(client, [org_row(n, 名称=None) for n in range(1, 4)])
    job = ImportJob.objects.get()
    response = client.get(reverse("imports:errors", args=["organisations", job.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1:] == [(n, "名称", "This column is required.") for n in (2, 3, 4)]


def test_export_holds_only_what_the_user_may_see_and_neutralises_formulas(
    client_for, township_user, township, other_township
):
    OrganisationFactory(township=township, name='=HYPERLINK("http://x")')
    OrganisationFactory(township=other_township, name="别的镇的组织")
    response = client_for(township_user).get(
        reverse("imports:export", kwargs={"kind": "organisations"})
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == ['\'=HYPERLINK("http://x")']
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("errors", [5, 250])
def test_the_preview_page_shows_at_most_200_errors(
    client_for, staff, errors, django_assert_max_num_queries
):
    job = ImportJob.objects.create(
        user=staff, kind="organisations", state="previewed", file="imports/x.xlsx",
        counts={"new": 0, "updated": 0, "unchanged": 0, "invalid": errors},
        errors=[[n + 2, "名称", "This column is required."] for n in range(errors)],
    )  # fmt: skip
    client = client_for(staff)
    # Session, user, user and group permissions, the job, the unread-notification count of the
    # bell; the session save (savepoint, update, release) for the messages. The errors come with
    # the job's row.
    with django_assert_max_num_queries(9):
        page = client.get(reverse("imports:job", args=["organisations", job.pk])).content.decode()
    assert page.count("This column is required.") == min(errors, 200)
    assert ("and 50 more errors" in page) == (errors == 250)
