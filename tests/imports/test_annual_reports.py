"""The annual-reports sheet: matched on (credit code, year), scoped to what the user may see."""

import datetime
from decimal import Decimal

from registry.models import AnnualReport, OrgType
from tests.factories import AnnualReportFactory, OrganisationFactory
from tests.imports.conftest import REPORT_HEADERS, xlsx
from zhenhai_so.importing import export_workbook, get_kind, run_import

KIND = "annual-reports"


def _import(rows, user, **kwargs):
    return run_import(get_kind(KIND), xlsx(rows, headers=REPORT_HEADERS), user=user, **kwargs)


def _errors(plan):
    return [str(e) for e in plan.errors]


def test_a_report_is_created_with_its_facts(staff, report_row):
    org = OrganisationFactory()
    plan = _import([report_row(org, 年检结论="基本合格", **{"监事(会)": "N"})], staff)
    assert plan.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 0}, _errors(plan)
    report = AnnualReport.objects.get()
    assert (report.organisation, report.year, report.result) == (org, 2019, "basically")
    assert report.submitted_on == datetime.date(2020, 4, 20)
    assert report.office_area == Decimal("80.5")
    assert (report.office_independent, report.has_supervisor) == (True, False)
    assert report.income == Decimal("12.30")


def test_the_same_organisation_and_year_updates_the_report(staff, report_row):
    report = AnnualReportFactory(year=2019, result="qualified")
    plan = _import([report_row(report.organisation, 年检结论="不合格")], staff)
    assert plan.counts["updated"] == 1, _errors(plan)
    report.refresh_from_db()
    assert (report.result, report.version) == ("unqualified", 2)
    assert AnnualReport.objects.count() == 1


def test_each_bad_cell_is_reported_by_row_and_column(staff, report_row):
    org = OrganisationFactory(registered_on=datetime.date(2015, 3, 1))
    filed = OrganisationFactory(org_type=OrgType.COMMUNITY, credit_code="")
    rows = [
        report_row(org, 独立办公场所="也许"),
        report_row(org, year=2014),
        report_row(org, year=2018, 报送日期="2999-01-01"),
        {**report_row(org, year=2017), "统一社会信用代码": "51330211MJ0000001X"},
        {**report_row(org, year=2016), "年度": None},
        report_row(org, year=2015, 年检结论="优秀"),
        report_row(org, year=2016, **{"办公面积(平方米)": 1.25}),
        report_row(filed, year=2019),
    ]
    plan = _import(rows, staff)
    messages = _errors(plan)
    assert messages[0].startswith("row 2: 独立办公场所: Write 是 or 否")
    assert messages[1] == "row 3: 年度: The organisation was registered in 2015."
    assert messages[2] == "row 4: 报送日期: The date received cannot be in the future."
    assert messages[3].startswith("row 5: 统一社会信用代码: The check digit is wrong")
    assert messages[4] == "row 6: 年度: This column is required."
    assert messages[5].startswith("row 7: 年检结论: Unknown value 优秀")
    assert messages[6].startswith("row 8: 办公面积(平方米): At most 1 decimal places")
    assert (
        messages[7] == "row 9: 统一社会信用代码: A registered organisation needs its credit code."
    )
    assert plan.counts["invalid"] == 8
    assert not AnnualReport.objects.exists()


def test_an_unknown_credit_code_is_refused(staff, report_row):
    org = OrganisationFactory()
    row = report_row(org)
    org.delete()
    plan = _import([row], staff)
    assert _errors(plan) == ["row 2: 统一社会信用代码: No organisation with this credit code."]


def test_the_same_report_twice_in_a_file_is_refused(staff, report_row):
    org = OrganisationFactory()
    plan = _import([report_row(org), report_row(org, 年检结论="不合格")], staff)
    assert _errors(plan) == ["row 3: 统一社会信用代码: The same record as row 2."]


def test_a_township_user_reaches_only_their_townships_organisations(
    township_user, township, other_township, report_row
):
    own = OrganisationFactory(township=township)
    foreign = OrganisationFactory(township=other_township)
    plan = _import([report_row(own), report_row(foreign)], township_user)
    assert _errors(plan) == [
        "row 3: 统一社会信用代码: No organisation with this credit code in your township."
    ]
    assert not AnnualReport.objects.exists()
    _import([report_row(own), report_row(foreign)], township_user, skip_invalid=True)
    assert list(AnnualReport.objects.values_list("organisation", flat=True)) == [own.pk]


def test_export_then_import_changes_nothing(staff, tmp_path):
    AnnualReportFactory.create_batch(3, income=Decimal("5.25"), office_area=Decimal("10.5"))
    AnnualReportFactory(submitted_on=None, result="")  # a report not yet submitted: no facts
    kind = get_kind(KIND)
    path = tmp_path / "reports.xlsx"
    export_workbook(kind, kind.export_queryset(staff), path)
    plan = run_import(kind, path, user=staff)
    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 4, "invalid": 0}, _errors(plan)


def test_export_holds_only_the_township_users_reports(township_user, township, other_township):
    AnnualReportFactory(organisation=OrganisationFactory(township=township))
    AnnualReportFactory(organisation=OrganisationFactory(township=other_township))
    rows = list(get_kind(KIND).export_rows(get_kind(KIND).export_queryset(township_user)))
    assert len(rows) == 1


def test_only_the_organisations_named_in_the_file_are_loaded(staff, report_row):
    """The organisations are looked up by the credit codes of the file, not read whole (a
    table of the register made an import slower as the register grew)."""
    named, unnamed = OrganisationFactory(), OrganisationFactory()
    kind = get_kind(KIND)
    loaded = []
    original = kind.load_existing

    def load_existing(keys, ctx):
        loaded.extend(ctx["organisations"])
        return original(keys, ctx)

    kind.load_existing = load_existing
    try:
        plan = run_import(kind, xlsx([report_row(named)], headers=REPORT_HEADERS), user=staff)
    finally:
        del kind.load_existing
    assert plan.counts["new"] == 1, _errors(plan)
    assert loaded == [named.credit_code]
    assert unnamed.credit_code not in loaded
    assert AnnualReport.objects.get().organisation == named
