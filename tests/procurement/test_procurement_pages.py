"""Procurement pages: scoping, filters, export, transitions through the client, totals, the
evaluation report download, the organisation tab, and pinned query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from procurement.models import Award, Brand, PerformanceEvaluation, Project
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def test_township_user_lists_only_their_townships_projects(
    client_for, township_user, township, other_township
):
    ProjectFactory(name="本镇项目", organisation=OrganisationFactory(township=township))
    ProjectFactory(name="外镇项目", organisation=OrganisationFactory(township=other_township))
    response = client_for(township_user).get(reverse("procurement:project_list"))
    assert [p.name for p in response.context["page"]] == ["本镇项目"]


def test_township_user_gets_404_for_another_townships_project(
    client_for, township_user, other_township
):
    project = ProjectFactory(organisation=OrganisationFactory(township=other_township))
    response = client_for(township_user).get(
        reverse("procurement:project_detail", args=[project.pk])
    )
    assert response.status_code == 404


def test_filters_combine(client_for, staff):
    org = OrganisationFactory(name="阳光社工服务中心")
    ProjectFactory(name="甲", channel="venture", year=2018, organisation=org, buyer="区卫健局")
    ProjectFactory(name="乙", channel="venture", year=2019, organisation=org, buyer="区民政局")
    ProjectFactory(name="丙", channel="purchase", year=2019, buyer="区民政局")
    client = client_for(staff)
    url = reverse("procurement:project_list")
    names = lambda q: sorted(p.name for p in client.get(url, q).context["page"])  # noqa: E731
    assert names({"channel": "venture"}) == ["乙", "甲"]
    assert names({"channel": "venture", "year": "2019"}) == ["乙"]
    assert names({"buyer": "民政"}) == ["丙", "乙"]
    assert names({"organisation": "阳光"}) == ["乙", "甲"]
    assert names({"state": "declared", "year": "2018"}) == ["甲"]


def test_export_has_the_filtered_rows_and_leaders_may_export(client_for, leader):
    ProjectFactory(name="=HYPERLINK(1)", channel="subsidy")
    ProjectFactory(name="不导出", channel="purchase")
    response = client_for(leader).get(
        reverse("procurement:project_list"), {"channel": "subsidy", "export": "xlsx"}
    )
    rows = _rows(response)
    assert rows[0][:3] == ("项目编号", "项目名称", "资金渠道")  # the projects sheet
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(1)"  # neutralised


def test_township_user_may_not_export(client_for, township_user):
    response = client_for(township_user).get(
        reverse("procurement:project_list"), {"export": "xlsx"}
    )
    assert response.status_code == 403


def test_staff_move_a_project_through_the_page(client_for, staff):
    project = ProjectFactory()
    client = client_for(staff)
    url = reverse("procurement:project_action", args=[project.pk, "approve"])
    response = client.post(url, {"note": "同意立项"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.state == "approved"
    assert project.steps.get().note == "同意立项"
    # A refused move shows a message and changes nothing.
    client.post(reverse("procurement:project_action", args=[project.pk, "finish"]), {})
    project.refresh_from_db()
    assert project.state == "approved"


def test_leader_cannot_move_a_project(client_for, leader):
    project = ProjectFactory()
    url = reverse("procurement:project_action", args=[project.pk, "approve"])
    assert client_for(leader).post(url).status_code == 403
    project.refresh_from_db()
    assert project.state == "declared"


def test_create_form_refuses_a_share_above_the_cap(client_for, staff):
    organisation = OrganisationFactory()
    data = {
        "channel": "venture",
        "name": "社工服务",
        "buyer": "区民政局",
        "organisation": organisation.credit_code,
        "year": 2018,
        "budget": "10000",
        "contract_amount": "10000",
        "signed_on": "2018-05-01",
        "personnel_share": "45",
        "is_social_work": "on",
        "starts_on": "2018-05-01",
        "ends_on": "2018-12-31",
    }
    client = client_for(staff)
    response = client.post(reverse("procurement:project_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["personnel_share"]
    assert not Project.objects.exists()
    data["signed_on"] = data["starts_on"] = "2019-05-01"
    data["ends_on"], data["year"] = "2019-12-31", 2019
    response = client.post(reverse("procurement:project_create"), data)
    assert response.status_code == 302
    assert Project.objects.get().township == organisation.township


def test_evaluation_report_is_uploaded_and_downloaded_only_when_visible(
    client_for, staff, other_township_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    project = ProjectFactory(state="finished", finished_on=datetime.date(2019, 12, 20))
    client = client_for(staff)
    response = client.post(
        reverse("procurement:evaluation_edit", args=[project.pk]),
        {
            "agency": "宁波市社会组织评估中心",
            "score": "88.5",
            "evaluated_on": "2020-01-10",
            "report": SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
    )
    assert response.status_code == 302
    evaluation = PerformanceEvaluation.objects.get(project=project)
    assert evaluation.score == Decimal("88.5")
    url = reverse("procurement:evaluation_report", args=[project.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    assert client_for(other_township_user).get(url).status_code == 404


def test_evaluation_report_of_another_type_is_refused(client_for, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = ProjectFactory(state="finished", finished_on=datetime.date(2019, 12, 20))
    response = client_for(staff).post(
        reverse("procurement:evaluation_edit", args=[project.pk]),
        {
            "agency": "评估中心",
            "score": "80",
            "evaluated_on": "2020-01-10",
            "report": SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream"),
        },
    )
    assert response.status_code == 200
    assert not PerformanceEvaluation.objects.exists()


def test_totals_by_year_and_channel(client_for, staff):
    ProjectFactory(year=2018, channel="purchase", contract_amount=Decimal("1000"))
    ProjectFactory(year=2018, channel="purchase", contract_amount=Decimal("500"))
    ProjectFactory(year=2018, channel="venture", contract_amount=Decimal("200"))
    ProjectFactory(year=2019, channel="purchase", contract_amount=Decimal("3000"))
    ProjectFactory(year=2019, channel="purchase", state="terminated", contract_amount=9)
    response = client_for(staff).get(reverse("procurement:totals"))
    rows = {r["year"]: r for r in response.context["rows"]}
    assert rows[2018]["n"] == 3 and rows[2018]["amount"] == Decimal("1700")
    assert rows[2018]["cells"][0] == {"n": 2, "amount": Decimal("1500"), "channel": "purchase"}
    assert rows[2019]["n"] == 1 and rows[2019]["amount"] == Decimal("3000")
    assert response.context["chart"]["series"][0]["data"] == [1500.0, 3000.0]


def test_awards_and_brands_are_scoped(client_for, township_user, township, other_township):
    mine, theirs = (
        OrganisationFactory(township=township),
        OrganisationFactory(township=other_township),
    )
    day = datetime.date(2019, 12, 1)
    Award.objects.create(year=2019, organisation=mine, name="本镇团队", named_on=day)
    Award.objects.create(year=2019, organisation=theirs, name="外镇团队", named_on=day)
    Brand.objects.create(
        name="本镇品牌", level="township", township=township, named_on=day, year=2019
    )
    Brand.objects.create(
        name="外镇品牌", level="township", township=other_township, named_on=day, year=2019
    )
    client = client_for(township_user)
    awards = client.get(reverse("procurement:award_list")).context["page"]
    brands = client.get(reverse("procurement:brand_list")).context["page"]
    assert [a.name for a in awards] == ["本镇团队"]
    assert [b.name for b in brands] == ["本镇品牌"]


def test_organisation_tab_shows_its_projects(client_for, staff):
    project = ProjectFactory(name="助老服务项目")
    url = reverse("registry:organisation_detail", args=[project.organisation.pk])
    response = client_for(staff).get(url, {"tab": "projects"})
    assert "助老服务项目" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Query counts


def test_project_list_query_count_does_not_grow(client_for, staff, django_assert_max_num_queries):
    for _ in range(30):
        ProjectFactory()
    client = client_for(staff)
    url = reverse("procurement:project_list")
    client.get(url)
    # session, user, permissions (2), notifications, township and catalogue-service choices,
    # totals, count, page, and the session's save (savepoint, update, release)
    with django_assert_max_num_queries(13):
        assert client.get(url).status_code == 200


def test_project_detail_query_count(client_for, staff, django_assert_max_num_queries):
    project = ProjectFactory(is_social_work=True, personnel_share=20)
    client = client_for(staff)
    url = reverse("procurement:project_detail", args=[project.pk])
    client.get(url)
    # session, user, permissions (2), notifications, project, evaluation, cap, steps,
    # and the session's save (3)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_totals_query_count(client_for, staff, django_assert_max_num_queries):
    for year in (2017, 2018, 2019):
        ProjectFactory(year=year)
    client = client_for(staff)
    client.get(reverse("procurement:totals"))
    # session, user, permissions (2), notifications, grouped totals, session save (3)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("procurement:totals")).status_code == 200
