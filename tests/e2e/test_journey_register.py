"""Journey 1: bureau staff registers an organisation through an establishment application,
approves it, imports an annual-report sheet whose preview shows a bad row, fixes the sheet and
confirms, then finds the organisation in the filtered list and in the Excel export, made at once
and, past the background threshold, as a background export found under My downloads."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from registry.models import AnnualReport, Organisation, RegistrationApplication
from registry.validators import make_credit_code
from tests.factories import TEST_PASSWORD, make_user
from zhenhai_so.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "统一社会信用代码",
    "年度",
    "报送日期",
    "年检结论",
    "专职工作人员数",
    "办公面积(平方米)",
    "独立办公场所",
    "财务管理制度",
    "会员(代表)大会",
    "理事会",
    "监事(会)",
    "正式党员数",
    "章程含党建内容",
    "年度收入(万元)",
    "年度支出(万元)",
]


def _sheet(path, code, submitted):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(
        [code, 2020, submitted, "合格", 2, 60, "是", "是", "是", "是", "是", 3, "是", 12.5, 11]
    )
    workbook.save(path)
    return path


def test_staff_registers_reviews_imports_and_exports(journey, tmp_path, settings):
    from django.core.management import call_command

    call_command("load_reference", verbosity=0, stdout=io.StringIO())
    make_user("wangke", Role.BUREAU_STAFF, full_name="王科员")
    code = make_credit_code("2", "330211", "MJ880001")
    page = journey.page

    journey.login("wangke", TEST_PASSWORD)
    journey.go("/registry/organisations/")
    journey.shot("organisation-list")
    page.click("a[href$='/applications/new/establish/']")
    page.fill("#id_name", "镇海区浏览器测试公益服务中心")
    page.fill("#id_credit_code", code)
    page.select_option("#id_org_type", "private_non_enterprise")
    page.select_option("#id_registration_mode", "direct")
    page.select_option("#id_sector", "charity")
    page.select_option("#id_township", label="招宝山街道")
    page.fill("#id_registered_on", "2019-06-01")
    page.fill("#id_legal_representative", "陈七")
    journey.shot("establishment-form")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("submitted")
    # The one who submitted may not approve: a colleague does.
    make_user("lirui", Role.BUREAU_STAFF, full_name="李科长")
    journey.logout()
    journey.login("lirui", TEST_PASSWORD)
    journey.go(f"/registry/applications/{RegistrationApplication.objects.get().pk}/")
    page.click("button[formaction$='/approve/']")
    page.wait_for_load_state("networkidle")
    journey.shot("approved")
    organisation = Organisation.objects.get(credit_code=code)
    assert organisation.name == "镇海区浏览器测试公益服务中心"

    # Import an annual-report sheet with a bad date: the preview names the row and writes nothing.
    journey.go("/imports/annual-reports/")
    page.set_input_files("input[type=file]", str(_sheet(tmp_path / "bad.xlsx", code, "2021-02-30")))
    page.click("[data-testid=import-upload] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("preview-with-bad-row")
    errors = page.locator("[data-testid=preview-rows] tbody tr[data-state=invalid]")
    assert errors.count() == 1
    assert errors.first.locator("td").first.inner_text().strip() == "2"
    assert not AnnualReport.objects.filter(organisation=organisation).exists()

    journey.go("/imports/annual-reports/")
    page.set_input_files(
        "input[type=file]", str(_sheet(tmp_path / "good.xlsx", code, "2021-03-30"))
    )
    page.click("[data-testid=import-upload] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("preview-clean")
    page.click("[data-testid=import-confirm] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("imported")
    report = AnnualReport.objects.get(organisation=organisation, year=2020)
    assert report.full_time_staff == 2 and report.party_members == 3

    journey.go("/registry/organisations/")
    page.fill("#id_q", "浏览器测试")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    journey.shot("filtered-list")
    assert page.locator("[data-testid=organisation-table] tbody tr").count() == 1
    content = journey.download("a[href*='export=xlsx']", "export")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["镇海区浏览器测试公益服务中心"]

    # A list longer than the background threshold is made in the background: a progress page,
    # then the file, kept under My downloads.
    settings.BACKGROUND_ROWS = 0
    content = journey.download("a[href*='export=xlsx']", "background-export")
    assert page.url.endswith("/jobs/downloads/")
    journey.shot("my-downloads")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["镇海区浏览器测试公益服务中心"]
    journey.assert_clean()
