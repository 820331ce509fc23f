"""The public disclosure pages: open to anyone, what each shows, filters, downloads, speed."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from procurement.models import Award, Brand
from registry.models import Inspection, ListEntry, OrgStatus, OrgType, Township
from tests.factories import AnnualReportFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("disclosure:search", {}),
    ("disclosure:list_entries", {"kind": "abnormal"}),
    ("disclosure:list_entries", {"kind": "serious"}),
    ("disclosure:inspections", {}),
    ("disclosure:projects", {}),
    ("disclosure:awards", {}),
    ("disclosure:brands", {}),
]


def _names(response, attr="name"):
    return [getattr(row, attr) for row in response.context["page"]]


def _xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_visitor_opens_every_public_list(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


def test_anonymous_visitor_opens_a_profile(client):
    organisation = OrganisationFactory()
    response = client.get(reverse("disclosure:organisation", args=[organisation.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_public_pages_refuse_post(client, name, kwargs):
    assert client.post(reverse(name, kwargs=kwargs)).status_code == 405


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_public_pages_answer_head_like_get(client, name, kwargs):
    """Link checkers and proxies ask with HEAD."""
    response = client.head(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_unknown_list_and_unknown_organisation_are_404(client):
    assert client.get(reverse("disclosure:list_entries", args=["secret"])).status_code == 404
    assert client.get(reverse("disclosure:organisation", args=[999999])).status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_public_pages_have_no_inline_script(client, name, kwargs):
    html = client.get(reverse(name, kwargs=kwargs)).content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all("src=" in tag for tag in scripts)
    assert "style=" not in html


# --- search ------------------------------------------------------------------------------------


def test_search_finds_by_name_and_by_credit_code_as_typed(client):
    wanted = OrganisationFactory(name="镇海区慈善义工协会")
    OrganisationFactory(name="镇海区书法家协会")
    url = reverse("disclosure:search")
    assert _names(client.get(url, {"q": "义工"})) == ["镇海区慈善义工协会"]
    typed = " ".join(
        [wanted.credit_code[:6].lower(), wanted.credit_code[6:12], wanted.credit_code[12:]]
    )
    assert _names(client.get(url, {"q": typed})) == ["镇海区慈善义工协会"]


def test_search_filters_by_type_township_and_status(client, township, other_township):
    OrganisationFactory(name="甲协会", township=township)
    OrganisationFactory(name="乙中心", org_type=OrgType.PRIVATE_NON_ENTERPRISE, township=township)
    OrganisationFactory(name="丙协会", township=other_township)
    OrganisationFactory(
        name="丁协会",
        township=township,
        status=OrgStatus.DEREGISTERED,
        dissolved_on=datetime.date(2019, 6, 30),
    )
    url = reverse("disclosure:search")
    assert _names(client.get(url, {"org_type": OrgType.PRIVATE_NON_ENTERPRISE})) == ["乙中心"]
    assert _names(client.get(url, {"township": other_township.pk})) == ["丙协会"]
    assert _names(client.get(url, {"status": OrgStatus.DEREGISTERED})) == ["丁协会"]


def test_dissolved_organisations_stay_listed_with_their_status(client):
    OrganisationFactory(
        name="已注销协会", status=OrgStatus.REVOKED, dissolved_on=datetime.date(2019, 6, 30)
    )
    response = client.get(reverse("disclosure:search"))
    assert _names(response) == ["已注销协会"]
    assert str(OrgStatus.REVOKED.label) in response.content.decode()


def test_grade_filter_counts_only_grades_still_valid(client, on_today):
    OrganisationFactory(name="有效4A", grade="4A", grade_expires_on=datetime.date(2023, 7, 1))
    OrganisationFactory(name="过期4A", grade="4A", grade_expires_on=datetime.date(2020, 8, 31))
    response = client.get(reverse("disclosure:search"), {"grade": "4A"})
    assert _names(response) == ["有效4A"]


def test_search_is_paginated(client):
    for n in range(25):
        OrganisationFactory(name=f"分页协会{n:02d}")
    response = client.get(reverse("disclosure:search"), {"page": 2})
    assert _names(response) == [f"分页协会{n:02d}" for n in range(20, 25)]


def test_search_download_in_excel_and_csv_holds_the_filtered_rows(client):
    OrganisationFactory(name="=HYPERLINK(1)协会")
    OrganisationFactory(name="另一协会", org_type=OrgType.FOUNDATION)
    url = reverse("disclosure:search")
    rows = _xlsx_rows(client.get(url, {"org_type": OrgType.SOCIAL_GROUP, "export": "xlsx"}))
    assert rows[0][:2] == ("统一社会信用代码", "名称")
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)协会"]
    response = client.get(url, {"org_type": OrgType.SOCIAL_GROUP, "export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''organisations-" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)协会"]
    # choices by their label in the visitor's language, the township by name
    with translation.override("zh-hans"):
        labels = [str(OrgType.SOCIAL_GROUP.label), str(OrgStatus.NORMAL.label)]
    assert [rows[1][2], rows[1][9]] == labels
    assert rows[1][5] in {t.name for t in Township.objects.all()}
    english = _xlsx_rows(
        client.get(
            url, {"org_type": OrgType.SOCIAL_GROUP, "export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    )
    with translation.override("en"):
        assert english[1][2] == str(OrgType.SOCIAL_GROUP.label)


def test_search_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for n in range(30):
        OrganisationFactory(
            name=f"协会{n:02d}", grade="3A", grade_expires_on=datetime.date(2030, 1, 1)
        )
    # the newest audit entry (the cache key), count, the page's rows with their township, the
    # township choices of the filter form
    with django_assert_max_num_queries(4):
        response = client.get(reverse("disclosure:search"), {"q": "协会"})
    assert len(response.context["page"]) == 20


# --- profile -----------------------------------------------------------------------------------


@pytest.fixture
def profiled(on_today, township):
    """An association registered in 2016: reports for 2017 on time (qualified), 2018 late
    (basically qualified), none for 2019; abnormal-listed in 2020 (still), an older entry
    removed; a published and an unpublished spot check; a finished and a running project."""
    organisation = OrganisationFactory(
        name="镇海区公益服务协会",
        township=township,
        registered_on=datetime.date(2016, 4, 1),
        legal_representative="李四",
        address="镇海区骆驼街道民和路1号",
        grade="4A",
        grade_expires_on=datetime.date(2024, 7, 14),
    )
    AnnualReportFactory(
        organisation=organisation, year=2017, submitted_on=datetime.date(2018, 5, 2)
    )
    AnnualReportFactory(
        organisation=organisation,
        year=2018,
        submitted_on=datetime.date(2019, 7, 20),
        result="basically",
    )
    ListEntry.objects.create(
        organisation=organisation,
        kind="abnormal",
        reason="report_late",
        listed_on=datetime.date(2020, 6, 15),
    )
    ListEntry.objects.create(
        organisation=organisation,
        kind="serious",
        reason="other",
        listed_on=datetime.date(2017, 1, 5),
        removed_on=datetime.date(2018, 1, 5),
    )
    Inspection.objects.create(
        organisation=organisation,
        inspected_on=datetime.date(2019, 10, 8),
        result="rectify",
        published_on=datetime.date(2019, 11, 1),
    )
    Inspection.objects.create(
        organisation=organisation, inspected_on=datetime.date(2020, 8, 8), result="penalty"
    )
    ProjectFactory(
        organisation=organisation,
        name="社区居家养老服务",
        state="finished",
        finished_on=datetime.date(2019, 12, 20),
        contract_amount=48000,
    )
    ProjectFactory(organisation=organisation, name="尚在执行的项目", state="running")
    return organisation


def test_profile_shows_the_registration_facts_and_the_valid_grade(client, profiled):
    response = client.get(reverse("disclosure:organisation", args=[profiled.pk]))
    html = response.content.decode()
    for fact in (
        profiled.credit_code,
        "李四",
        "镇海区骆驼街道民和路1号",
        "2016-04-01",
        "2024-07-14",
    ):
        assert fact in html
    assert response.context["grade_valid"] is True


def test_profile_reports_submission_and_result_by_year(client, profiled):
    response = client.get(reverse("disclosure:organisation", args=[profiled.pk]))
    rows = {r["year"]: r for r in response.context["report_rows"]}
    assert sorted(rows) == [2017, 2018, 2019]
    assert rows[2017]["status"]["code"] == "on_time"
    assert rows[2018]["status"]["code"] == "late"
    assert rows[2019]["status"]["code"] == "overdue"
    assert str(rows[2017]["result"]) == str(AnnualReportFactory._meta.model.Result.QUALIFIED.label)
    assert rows[2019]["submitted_on"] is None and rows[2019]["result"] == ""


def test_profile_leaves_out_years_before_the_registers_first_reports(client, on_today):
    """An organisation registered in 2005 owes reports since 2006, but the register holds
    reports only from 2017: earlier years are not called "not submitted"."""
    old = OrganisationFactory(registered_on=datetime.date(2005, 3, 1))
    AnnualReportFactory(year=2017, submitted_on=datetime.date(2018, 4, 2))  # someone else's
    response = client.get(reverse("disclosure:organisation", args=[old.pk]))
    assert [r["year"] for r in response.context["report_rows"]] == [2019, 2018, 2017]
    assert {r["status"]["code"] for r in response.context["report_rows"]} == {"overdue"}


def test_profile_shows_current_list_entries_only(client, profiled):
    response = client.get(reverse("disclosure:organisation", args=[profiled.pk]))
    entries = response.context["list_entries"]
    assert [(e.kind, e.listed_on) for e in entries] == [("abnormal", datetime.date(2020, 6, 15))]


def test_profile_shows_published_spot_checks_and_finished_projects_only(client, profiled):
    response = client.get(reverse("disclosure:organisation", args=[profiled.pk]))
    assert [i.published_on for i in response.context["inspections"]] == [datetime.date(2019, 11, 1)]
    assert [p.name for p in response.context["projects"]] == ["社区居家养老服务"]
    assert "尚在执行的项目" not in response.content.decode()


def test_profile_of_an_expired_grade_says_so(client, on_today):
    organisation = OrganisationFactory(grade="3A", grade_expires_on=datetime.date(2020, 1, 1))
    response = client.get(reverse("disclosure:organisation", args=[organisation.pk]))
    assert response.context["grade_valid"] is False


def test_profile_runs_a_constant_number_of_queries(client, profiled, django_assert_max_num_queries):
    AnnualReportFactory(organisation=profiled, year=2019)
    for _ in range(5):
        ProjectFactory(
            organisation=profiled, state="finished", finished_on=datetime.date(2019, 12, 1)
        )
    # organisation with township and community, the newest audit entry (the cache key), annual
    # reports, the register's first report year, current list entries, published spot checks,
    # finished projects
    with django_assert_max_num_queries(7):
        response = client.get(reverse("disclosure:organisation", args=[profiled.pk]))
    assert len(response.context["projects"]) == 6


LIST_QUERY_BUDGETS = [
    # the newest audit entry, count, the page's rows (organisation and township joined), the
    # township choices of the filter form
    (("disclosure:list_entries", {"kind": "abnormal"}), 4),
    (("disclosure:inspections", {}), 4),
    # ... and the totals by year
    (("disclosure:projects", {}), 5),
    # the newest audit entry, count, rows (no township filter)
    (("disclosure:awards", {}), 3),
    (("disclosure:brands", {}), 4),
]


@pytest.fixture
def thirty_of_everything(township, other_township):
    from registry.models import Township

    for n in range(30):
        organisation = OrganisationFactory(
            name=f"列表协会{n:02d}", township=(township, other_township)[n % 2]
        )
        ListEntry.objects.create(
            organisation=organisation,
            kind="abnormal",
            reason="unreachable",
            listed_on=datetime.date(2020, 3, 1),
        )
        Inspection.objects.create(
            organisation=organisation,
            inspected_on=datetime.date(2019, 5, 1),
            result="passed",
            published_on=datetime.date(2019, 6, 1),
        )
        project = ProjectFactory(organisation=organisation, state="running", year=2018 + n % 3)
        Award.objects.create(
            year=2019,
            organisation=organisation,
            name=f"团队{n}",
            named_on=datetime.date(2019, 12, 1),
        )
        Brand.objects.create(
            name=f"品牌{n}",
            level="township",
            township=Township.objects.get(pk=organisation.township_id),
            organisation=organisation,
            project=project,
            named_on=datetime.date(2019, 5, 1),
            year=2019,
        )


@pytest.mark.parametrize(
    ("page", "budget"), LIST_QUERY_BUDGETS, ids=[p[0][0] for p in LIST_QUERY_BUDGETS]
)
def test_public_lists_run_a_constant_number_of_queries(
    client, thirty_of_everything, page, budget, django_assert_max_num_queries
):
    name, kwargs = page
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(name, kwargs=kwargs))
    assert len(response.context["page"]) == 20


# --- lists -------------------------------------------------------------------------------------


def test_abnormal_list_holds_current_abnormal_entries_only(client, on_today):
    listed, removed, blacklisted = (OrganisationFactory(name=n) for n in ("甲", "乙", "丙"))
    ListEntry.objects.create(
        organisation=listed,
        kind="abnormal",
        reason="unreachable",
        listed_on=datetime.date(2020, 3, 1),
    )
    ListEntry.objects.create(
        organisation=removed,
        kind="abnormal",
        reason="report_late",
        listed_on=datetime.date(2019, 7, 1),
        removed_on=datetime.date(2020, 1, 1),
    )
    ListEntry.objects.create(
        organisation=blacklisted,
        kind="serious",
        reason="two_years",
        listed_on=datetime.date(2020, 5, 1),
    )
    abnormal = client.get(reverse("disclosure:list_entries", args=["abnormal"]))
    assert [e.organisation.name for e in abnormal.context["page"]] == ["甲"]
    serious = client.get(reverse("disclosure:list_entries", args=["serious"]))
    assert [e.organisation.name for e in serious.context["page"]] == ["丙"]
    rows = _xlsx_rows(
        client.get(reverse("disclosure:list_entries", args=["abnormal"]), {"export": "xlsx"})
    )
    assert [(r[1], r[5]) for r in rows[1:]] == [("甲", datetime.datetime(2020, 3, 1))]


def test_spot_check_page_lists_published_results_only(client):
    organisation = OrganisationFactory(name="抽查对象")
    Inspection.objects.create(
        organisation=organisation,
        inspected_on=datetime.date(2019, 5, 1),
        result="passed",
        published_on=datetime.date(2019, 6, 1),
    )
    Inspection.objects.create(
        organisation=organisation, inspected_on=datetime.date(2019, 9, 1), result="rectify"
    )
    response = client.get(reverse("disclosure:inspections"))
    assert [i.inspected_on for i in response.context["page"]] == [datetime.date(2019, 5, 1)]
    rows = _csv_rows(client.get(reverse("disclosure:inspections"), {"export": "csv"}))
    assert [r[3:] for r in rows[1:]] == [
        ["2019-05-01", str(Inspection.Result.PASSED.label), "2019-06-01"]
    ]


def test_project_page_lists_awarded_projects_with_totals_by_year(client):
    organisation = OrganisationFactory()
    ProjectFactory(organisation=organisation, name="申报中", year=2020, state="declared")
    ProjectFactory(
        organisation=organisation, name="甲", year=2019, state="approved", contract_amount=30000
    )
    ProjectFactory(
        organisation=organisation, name="乙", year=2019, state="running", contract_amount=12500
    )
    ProjectFactory(
        organisation=organisation,
        name="丙",
        year=2018,
        state="finished",
        finished_on=datetime.date(2018, 12, 1),
        contract_amount=8000,
    )
    response = client.get(reverse("disclosure:projects"))
    assert sorted(_names(response)) == ["丙", "乙", "甲"]
    per_year = [(y["year"], y["count"], int(y["amount"])) for y in response.context["per_year"]]
    assert per_year == [(2019, 2, 42500), (2018, 1, 8000)]
    assert _names(client.get(reverse("disclosure:projects"), {"year": 2018})) == ["丙"]
    rows = _xlsx_rows(client.get(reverse("disclosure:projects"), {"year": 2019, "export": "xlsx"}))
    assert sorted((r[2], r[6]) for r in rows[1:]) == [("乙", 12500), ("甲", 30000)]


def test_excellent_teams_and_brands_pages_list_them_by_year(client, township):
    organisation = OrganisationFactory(township=township)
    Award.objects.create(
        year=2019,
        organisation=organisation,
        name="红领巾志愿队",
        named_on=datetime.date(2019, 12, 1),
    )
    Award.objects.create(
        year=2018,
        organisation=organisation,
        name="夕阳红服务队",
        named_on=datetime.date(2018, 12, 1),
    )
    Brand.objects.create(
        name="蛟川善治",
        level="township",
        township=township,
        named_on=datetime.date(2019, 5, 1),
        year=2019,
    )
    assert _names(client.get(reverse("disclosure:awards"), {"year": 2019})) == ["红领巾志愿队"]
    assert _names(client.get(reverse("disclosure:brands"))) == ["蛟川善治"]
    rows = _csv_rows(client.get(reverse("disclosure:awards"), {"export": "csv"}))
    assert [r[2] for r in rows[1:]] == ["红领巾志愿队", "夕阳红服务队"]


def test_year_filters_start_empty_so_an_unfiltered_page_shows_every_year(client):
    html = client.get(reverse("disclosure:projects")).content.decode()
    select = re.search(r'<select name="year".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="" selected>', select)
