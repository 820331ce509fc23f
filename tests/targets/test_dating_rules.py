"""The dating rules of ``docs/targets.md`` ("Dates: what counts on an as-of date"), each on
hand-made data whose answer is worked out here. Every metric case goes through ``checked``: the
stored series gives the same number as the direct computation."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import checks
from django.urls import reverse

from partybuilding.models import DemonstrationSite
from procurement.models import Award, Brand
from registry.models import AnnualReport, Inspection
from targets import metrics
from targets.models import Status, Target
from targets.progress import annual_year_status, evaluate, evaluate_plan
from tests.factories import AnnualReportFactory, OrganisationFactory
from tests.imports.conftest import xlsx
from tests.targets.conftest import checked
from zhenhai_so.importing import get_kind, run_import

pytestmark = pytest.mark.django_db
day = datetime.date


def numbers(result):
    return (result.numerator, result.denominator, result.value)


# --- rule 2: the year a record is for is its own field ------------------------------------------


def test_a_late_report_counts_for_its_year_from_the_day_it_was_submitted(target_of, township):
    """R5: a 2018 report graded 合格 and submitted on 2019-06-15 (after the 31 May deadline)
    counts for 2018 from that day on: R5 names no deadline (R6 does)."""
    org = OrganisationFactory(township=township, registered_on=day(2015, 1, 1))
    AnnualReportFactory(
        organisation=org, year=2018, result="qualified", submitted_on=day(2019, 6, 15)
    )
    r5 = target_of("R5")
    assert numbers(checked(r5, as_of=day(2019, 6, 14), year=2018)) == (0, 1, 0)
    assert numbers(checked(r5, as_of=day(2019, 6, 15), year=2018)) == (1, 1, 100)
    assert numbers(checked(r5, as_of=day(2020, 12, 31), year=2018)) == (1, 1, 100)
    # R6 counts it nowhere: it was not submitted by the deadline.
    assert numbers(checked(target_of("R6"), as_of=day(2019, 12, 31))) == (0, 1, 0)


def test_an_inspection_published_in_january_counts_for_the_year_before(target_of, township):
    """G2: inspected on 2019-12-30, published on 2020-01-06: one inspection of 2019, published
    from 2020-01-06 on."""
    org = OrganisationFactory(township=township)
    Inspection.objects.create(
        organisation=org, inspected_on=day(2019, 12, 30), result="passed",
        published_on=day(2020, 1, 6),
    )  # fmt: skip
    g2 = target_of("G2")
    assert numbers(checked(g2, as_of=day(2019, 12, 31), year=2019)) == (0, 1, 0)
    assert numbers(checked(g2, as_of=day(2020, 1, 6), year=2019)) == (1, 1, 100)
    assert numbers(checked(g2, as_of=day(2020, 1, 6), year=2019, township_id=township.pk)) == (
        1, 1, 100
    )  # fmt: skip


def test_an_award_and_a_site_for_a_year_named_in_january_count_for_that_year(target_of, township):
    org = OrganisationFactory(township=township)
    Award.objects.create(year=2019, organisation=org, name="优秀团队", named_on=day(2020, 1, 10))
    DemonstrationSite.objects.create(
        organisation=org, year=2019, named_on=day(2020, 1, 10), name="示范点"
    )
    for code in ("B1", "P6"):
        target = target_of(code)
        assert checked(target, as_of=day(2020, 1, 9), year=2019).value == 0, code
        assert checked(target, as_of=day(2020, 1, 10), year=2019).value == 1, code
        # and not for 2020
        assert checked(target, as_of=day(2020, 12, 31), year=2020).value == 0, code


# --- rule 7: attribution to a township ----------------------------------------------------------


def test_a_district_brand_counts_for_the_township_of_its_organisation(
    target_of, township, other_township
):
    org = OrganisationFactory(township=township)
    Brand.objects.create(
        name="区级品牌", level="district", organisation=org, named_on=day(2019, 5, 1), year=2019
    )
    b2 = target_of("B2")
    assert checked(b2, as_of=day(2019, 12, 31), township_id=township.pk).value == 1
    assert checked(b2, as_of=day(2019, 12, 31), township_id=other_township.pk).value == 0
    assert checked(b2, as_of=day(2019, 12, 31)).value == 1


# --- rule 4: a year not yet due shows no data, not zero -----------------------------------------


@pytest.fixture
def reported(township):
    """Two organisations obliged to report for 2017–2019, every report passed and on time."""
    orgs = [OrganisationFactory(township=township, registered_on=day(2015, 1, 1)) for _ in "ab"]
    for org in orgs:
        for year in (2017, 2018, 2019):
            AnnualReportFactory(
                organisation=org, year=year, result="qualified", submitted_on=day(year + 1, 4, 1)
            )
    return orgs


def test_pass_rate_before_the_deadline_is_not_due_and_the_headline_is_the_newest_due_year(
    reported, target_of, township, refresh
):
    refresh()
    r5, r6 = target_of("R5"), target_of("R6")
    # 2020-12-31: 2020's reports are due only on 2021-05-31; the headline is 2019's, not 0 %.
    end = evaluate(r5, as_of=day(2020, 12, 31))
    assert (end.value, end.year) == (100, 2019)
    assert [y.status for y in end.years] == [Status.ACHIEVED, Status.ACHIEVED, Status.NOT_DUE]
    assert end.status == Status.ACHIEVED
    # Before the first deadline of the plan (2019-05-31) nothing is due at all.
    early = evaluate(r5, as_of=day(2019, 3, 31))
    assert early.value is None and early.status == Status.NOT_DUE
    # The same for every township's bar and at every quarter end of the trend: never 0 %.
    for as_of in (day(2019, 3, 31), day(2019, 6, 30), day(2020, 3, 31), day(2020, 12, 31)):
        for scope in (None, township.pk):
            for target in (r5, r6):
                p = evaluate(target, as_of=as_of, township_id=scope)
                assert p.value != 0, (target.code, as_of, scope)
    assert evaluate(r6, as_of=day(2020, 12, 31)).extras["year"] == 2019


# --- rule 5: rates are never pro-rated ----------------------------------------------------------


def test_a_rate_in_the_running_year_is_compared_with_its_goal_as_it_stands():
    common = {"comparator": "gte", "goal": D(10), "fraction": D("0.5"), "finished": False}
    # A growth of 6 % in mid-year: pro-rated it would look on track (6 ≥ 0.95 × 5); as it
    # stands it is at risk (6 ÷ 10 = 0.6).
    assert annual_year_status(value=D(6), **common, prorated=True).status == Status.ON_TRACK
    assert annual_year_status(value=D(6), **common, prorated=False).status == Status.AT_RISK


def test_growth_targets_are_not_prorated_but_counts_are(township, target_of, refresh):
    for i in range(10):
        OrganisationFactory(township=township, registered_on=day(2015, 1, 1 + i))
    for i in range(6):  # 6 % growth by mid-2019
        OrganisationFactory(township=township, registered_on=day(2019, 3, 1 + i))
    refresh()
    r3 = evaluate(target_of("R3"), as_of=day(2019, 7, 2))
    assert r3.years[1].value == 60  # 16 ÷ 10 − 1
    refresh()
    p6 = evaluate(target_of("P6"), as_of=day(2019, 7, 2))  # 0 of 2 sites at mid-year
    assert p6.years[1].expected == pytest.approx(D(2) * D(183) / D(365), rel=D("0.001"))


# --- rule 6: on and after the deadline the figures are final ------------------------------------


def test_after_the_plan_only_final_statuses_show(reported, plan, refresh):
    refresh()
    final = {Status.ACHIEVED, Status.ACHIEVED_ABOVE, Status.MISSED, Status.TRACKED, Status.NO_DATA}
    for as_of in (day(2020, 12, 31), day(2021, 6, 30), day(2026, 1, 1)):
        statuses = {p.status for p in evaluate_plan(plan, as_of=as_of)}
        assert statuses <= final, (as_of, statuses - final)


def test_on_the_deadline_day_a_target_not_achieved_is_missed(target_of, township, refresh):
    OrganisationFactory(township=township, sector="industry_association", decoupling="pending")
    refresh()
    s1 = target_of("S1")  # deadline 2018-12-31
    assert evaluate(s1, as_of=day(2018, 12, 30)).status != Status.MISSED
    assert evaluate(s1, as_of=day(2018, 12, 31)).status == Status.MISSED


# --- rule 1: a township figure counts from the day its report was accepted ----------------------


def test_a_township_figure_counts_from_its_acceptance(
    plan, target_of, township, township_user, staff
):
    from tests.targets.test_metrics import _accepted_report

    value = {("service_centre_working", None): {"value": "1"}}
    _accepted_report(plan, township, 2019, 4, value, staff, township_user)  # on 2020-01-10
    c5 = target_of("C5")
    assert checked(c5, as_of=day(2020, 1, 9)).no_data
    assert checked(c5, as_of=day(2020, 1, 10)).numerator == 1


# --- rule 3: a submitted report has a submission date -------------------------------------------


def test_an_imported_report_with_a_result_but_no_submission_date_is_a_row_error(staff, township):
    org = OrganisationFactory(township=township)
    rows = [
        {"统一社会信用代码": org.credit_code, "年度": 2019, "年检结论": "合格"},
        {"统一社会信用代码": org.credit_code, "年度": 2018, "专职工作人员数": 2},
        {"统一社会信用代码": org.credit_code, "年度": 2017},  # nothing reported: fine
    ]
    headers = ["统一社会信用代码", "年度", "报送日期", "年检结论", "专职工作人员数"]
    plan = run_import(get_kind("annual-reports"), xlsx(rows, headers=headers), user=staff)
    errors = {(e.row, e.column) for e in plan.errors}
    assert errors == {(2, "报送日期"), (3, "报送日期")}, [str(e) for e in plan.errors]
    assert not AnnualReport.objects.exists()


def test_a_report_saved_with_facts_but_no_submission_date_is_refused(township):
    from django.core.exceptions import ValidationError

    report = AnnualReport(
        organisation=OrganisationFactory(township=township), year=2019, result="qualified"
    )
    with pytest.raises(ValidationError) as error:
        report.full_clean()
    assert "submitted_on" in error.value.message_dict


# --- definitions fail loudly --------------------------------------------------------------------


def _errors():
    return [e for e in checks.run_checks(databases=["default"]) if e.id.startswith("targets.")]


def test_every_target_of_the_reference_plan_names_a_registered_metric_with_valid_parameters():
    assert _errors() == []


@pytest.mark.parametrize(
    ("metric", "params", "message"),
    [
        ("legal_cuont", {}, "unknown metric"),
        ("annual_fact_share", {"condition": "has_finance_sytem"}, "is not one of"),
        ("annual_fact_share", {}, "missing parameter"),
        ("community_so_coverage", {"kind": "urban", "min": "twenty"}, "whole number"),
        ("township_fact_share", {"indicator": "no_such_figure"}, "quarterly form"),
        ("legal_count", {"typo": 1}, "unknown parameter"),
    ],
)
def test_a_mistake_in_a_definition_is_a_system_error(target_of, metric, params, message):
    Target.objects.filter(pk=target_of("R1").pk).update(metric=metric, params=params)
    assert any(message in e.msg for e in _errors()), _errors()


def test_an_exception_in_a_metric_is_raised_not_shown_as_no_data(
    target_of, monkeypatch, client_for, leader
):
    def broken(target, **kwargs):
        raise LookupError("a renamed field")

    monkeypatch.setattr(metrics.METRICS["legal_count"], "compute", broken)
    with pytest.raises(LookupError):
        metrics.compute(target_of("R1"), as_of=day(2019, 12, 31))
    with pytest.raises(LookupError):
        client_for(leader).get(reverse("targets:target_detail", args=[target_of("R1").pk]))
