"""Each metric on small hand-made data whose answer is worked out here, covering the as-of rules of
``docs/targets.md`` (registered later, dissolved earlier, filed organisations, no annual report,
a report of an older year, the newest accepted township report)."""

import datetime
from decimal import Decimal as D

import pytest

from registry.models import Community, OrgStatus, OrgType
from targets import services
from targets.models import Milestone, Population, QuarterlyReport, quarter_end
from targets.progress import evaluate
from tests.factories import AnnualReportFactory, OrganisationFactory
from tests.targets.conftest import checked, filled

AS_OF = datetime.date(2019, 12, 31)
pytestmark = pytest.mark.django_db


def compute(target, as_of=AS_OF, **kwargs):
    return checked(target, as_of=as_of, **kwargs)


@pytest.fixture
def register(township, other_township):
    """Five organisations; on 2019-12-31 three are legal SOs (a, b, f), one in the other township.

    a social group 2015, in the township      → legal
    b private non-enterprise 2019-12-31       → legal (registered on the as-of date)
    c social group 2020-01-01                 → not yet registered
    d social group 2015, dissolved 2019-06-30 → dissolved earlier
    e filed community organisation            → not a legal SO
    f foundation 2016 in the other township   → legal
    """
    make = OrganisationFactory
    return {
        "a": make(township=township, registered_on=datetime.date(2015, 1, 1)),
        "b": make(
            township=township,
            org_type=OrgType.PRIVATE_NON_ENTERPRISE,
            registered_on=datetime.date(2019, 12, 31),
        ),
        "c": make(township=township, registered_on=datetime.date(2020, 1, 1)),
        "d": make(
            township=township,
            registered_on=datetime.date(2015, 1, 1),
            dissolved_on=datetime.date(2019, 6, 30),
            status=OrgStatus.DEREGISTERED,
        ),
        "e": make(township=township, org_type=OrgType.COMMUNITY),
        "f": make(
            township=other_township,
            org_type=OrgType.FOUNDATION,
            registered_on=datetime.date(2016, 5, 1),
        ),
    }


def test_legal_count_follows_the_as_of_rules(register, target_of, township):
    result = compute(target_of("R1"))
    assert result.value == 3
    assert set(result.records) == {register["a"], register["b"], register["f"]}
    assert (
        result.extras["by_type"] == {"社会团体": 1, "民办非企业单位": 1, "基金会": 1}
        or sum(result.extras["by_type"].values()) == 3
    )
    assert compute(target_of("R1"), township_id=township.pk).value == 2
    # The day before b registered, and the day before d was dissolved:
    assert compute(target_of("R1"), as_of=datetime.date(2019, 6, 29)).value == 3  # a, d, f


def test_per_10k_divides_by_the_registered_population(register, target_of):
    Population.objects.update_or_create(year=2019, kind="registered", defaults={"count": 20000})
    result = compute(target_of("R2"))
    assert result.value == D("1.5")  # 3 ÷ (20,000 ÷ 10,000)
    assert result.extras["population"] == 20000


def test_growth_compares_with_the_end_of_the_previous_year(register, target_of):
    # 31 Dec 2018: a, d, f = 3; 31 Dec 2019: a, b, f = 3 → 0 %.  2020: + c → 4/3 − 1.
    assert compute(target_of("R3"), year=2019).value == 0
    assert compute(target_of("R3"), as_of=datetime.date(2020, 12, 31), year=2020).value == (
        (D(4) / D(3) - 1) * 100
    )


def test_annual_facts_use_the_newest_report_and_count_a_missing_report_as_not_met(
    register, target_of
):
    # a: 2017 report with a finance system (an older year still counts);
    # f: 2019 report without, submitted in 2020 (after the as-of date: its 2018 one counts);
    # b: no report at all → in the denominator, not met.
    AnnualReportFactory(organisation=register["a"], year=2017, has_finance_system=True,
                        submitted_on=datetime.date(2018, 3, 1))  # fmt: skip
    AnnualReportFactory(organisation=register["f"], year=2018, has_finance_system=True,
                        submitted_on=datetime.date(2019, 3, 1))  # fmt: skip
    AnnualReportFactory(organisation=register["f"], year=2019, has_finance_system=False,
                        submitted_on=datetime.date(2020, 3, 1))  # fmt: skip
    result = compute(target_of("S3"))
    assert (result.numerator, result.denominator) == (2, 3)
    assert {o.pk: o.meets for o in result.records} == {
        register["a"].pk: True, register["b"].pk: False, register["f"].pk: True
    }  # fmt: skip
    later = compute(target_of("S3"), as_of=datetime.date(2020, 6, 30))  # f's 2019 report now
    assert (later.numerator, later.denominator) == (1, 4)  # c has registered, without a report


def test_office_and_staff_conditions(register, target_of):
    AnnualReportFactory(organisation=register["a"], year=2018, office_independent=True,
                        office_area=D("20.0"), full_time_staff=1)  # fmt: skip
    AnnualReportFactory(organisation=register["f"], year=2018, office_independent=True,
                        office_area=D("19.9"), full_time_staff=0)  # fmt: skip
    assert compute(target_of("S4")).numerator == 1
    assert compute(target_of("S6")).numerator == 1


def test_pass_rate_counts_only_organisations_obliged_to_report(register, target_of):
    # Obliged for 2019: legal on 31 Dec 2019 and registered before 1 Jan 2019 → a, f (not b).
    AnnualReportFactory(organisation=register["a"], year=2019, result="basically",
                        submitted_on=datetime.date(2020, 4, 1))  # fmt: skip
    AnnualReportFactory(organisation=register["f"], year=2019, result="unqualified",
                        submitted_on=datetime.date(2020, 4, 1))  # fmt: skip
    result = compute(target_of("R5"), as_of=datetime.date(2020, 5, 31), year=2019)
    assert (result.numerator, result.denominator, result.value) == (1, 2, 50)
    # Before the reports are due (31 May 2020) the year shows no figure, not 0 %.
    early = compute(target_of("R5"), as_of=datetime.date(2020, 3, 1), year=2019)
    assert early.value is None and early.numerator is None


def test_pass_rate_of_each_plan_year_and_township(register, target_of, township):
    """Each plan year of R5 counts that year's passed reports submitted by the date, per
    township too; a report submitted after the deadline counts from its submission on."""
    a, f = register["a"], register["f"]
    AnnualReportFactory(organisation=a, year=2018, result="qualified",
                        submitted_on=datetime.date(2019, 5, 1))  # fmt: skip
    AnnualReportFactory(organisation=a, year=2019, result="basically",
                        submitted_on=datetime.date(2020, 4, 1))  # fmt: skip
    AnnualReportFactory(organisation=f, year=2019, result="qualified",
                        submitted_on=datetime.date(2020, 7, 1))  # after 2020-05-31  # fmt: skip
    target = target_of("R5")
    windows = [(2018, datetime.date(2019, 5, 31)), (2019, datetime.date(2020, 5, 31))]
    scopes = (None, township.pk, f.township_id)
    alone = {
        (year, scope): numbers_of(compute(target, as_of=day, year=year, township_id=scope))
        for year, day in windows
        for scope in scopes
    }
    assert alone[(2019, None)] == (1, 2, 50)
    assert alone[(2019, f.township_id)] == (0, 1, 0)
    # f's 2019 report, submitted on 2020-07-01 after the deadline, counts from then on.
    later = compute(target, as_of=datetime.date(2020, 7, 1), year=2019)
    assert numbers_of(later) == (2, 2, 100)


def numbers_of(result):
    return (result.numerator, result.denominator, result.value)


def test_on_time_reports_use_the_newest_closed_year(register, target_of):
    AnnualReportFactory(
        organisation=register["a"], year=2019, submitted_on=datetime.date(2020, 5, 31)
    )
    AnnualReportFactory(
        organisation=register["f"], year=2019, submitted_on=datetime.date(2020, 6, 1)
    )
    result = compute(target_of("R6"), as_of=datetime.date(2020, 12, 31))
    assert result.extras["year"] == 2019
    assert (result.numerator, result.denominator) == (1, 2)


def test_community_coverage_with_min_and_mean(township, target_of):
    rural = list(Community.objects.filter(township__isnull=False, kind="rural")[:0])
    urban = Community.objects.filter(township=township, kind="urban").order_by("code")
    first = urban[0]
    for _ in range(20):
        OrganisationFactory(township=township, community=first, org_type=OrgType.COMMUNITY)
    # One dissolved before the date does not count for the second community.
    second = urban[1]
    OrganisationFactory(
        township=township,
        community=second,
        org_type=OrgType.COMMUNITY,
        dissolved_on=datetime.date(2019, 1, 1),
        status=OrgStatus.DEREGISTERED,
    )
    result = compute(target_of("C1"), township_id=township.pk)
    n = urban.count()
    assert (result.numerator, result.denominator) == (1, n)
    assert result.extras["min"] == 0
    assert result.extras["mean"] == round(D(20) / n, 1)
    assert rural == []


def _accepted_report(plan, township, year, quarter, values, staff, user):
    report = services.quarterly_report_open(
        plan=plan, township=township, year=year, quarter=quarter, user=user
    )
    report = services.quarterly_report_save_draft(
        report=report, values=filled(values), narrative="", expected_version=None, user=user
    )
    report = services.quarterly_report_submit(report=report, user=user)
    # Accepted ten days after the quarter (a township figure counts from its acceptance on).
    accepted_at = datetime.datetime.combine(
        quarter_end(year, quarter) + datetime.timedelta(days=10),
        datetime.time(10),
        tzinfo=datetime.UTC,
    )
    return services.quarterly_report_accept(report=report, user=staff, now=accepted_at)


def test_township_figures_use_each_townships_newest_accepted_report(
    plan, target_of, township, other_township, township_user, staff
):
    target = target_of("C5")
    assert compute(target).no_data  # no accepted report yet
    _accepted_report(plan, township, 2019, 2, {("service_centre_working", None): {"value": "0"}},
                     staff, township_user)  # fmt: skip
    _accepted_report(plan, township, 2019, 3, {("service_centre_working", None): {"value": "1"}},
                     staff, township_user)  # fmt: skip
    # A newer report that is only submitted does not count.
    draft = services.quarterly_report_open(
        plan=plan, township=township, year=2019, quarter=4, user=township_user
    )
    services.quarterly_report_save_draft(
        report=draft, values=filled({("service_centre_working", None): {"value": "0"}}),
        narrative="",
        expected_version=None, user=township_user,
    )  # fmt: skip
    services.quarterly_report_submit(report=draft, user=township_user)
    result = compute(target)
    assert (result.numerator, result.denominator) == (1, 7)
    # As of 2019-09-29 the Q3 report's quarter has not ended: Q2 ("no") is the newest.
    assert compute(target, as_of=datetime.date(2019, 9, 29)).numerator == 0
    assert compute(target, township_id=other_township.pk).no_data


def test_community_figures_count_communities_of_townships_without_a_report_as_not_having_it(
    plan, target_of, township, township_user, staff
):
    urban = list(Community.objects.filter(township=township, kind="urban"))
    values = {("hub_platform", c.pk): {"value": "1"} for c in urban[:2]}
    _accepted_report(plan, township, 2019, 4, values, staff, township_user)  # on 2020-01-10
    assert compute(target_of("C3")).no_data  # not yet accepted on 2019-12-31
    result = compute(target_of("C3"), as_of=datetime.date(2020, 1, 10))
    assert result.numerator == 2
    assert result.denominator == Community.objects.filter(kind="urban").count()


def test_milestones_count_those_dated_by_the_as_of_date(target_of, staff):
    target = target_of("C7")
    done = Milestone.objects.filter(target=target).order_by("order")[:2]
    days = [datetime.date(2019, 1, 1), datetime.date(2020, 1, 1)]
    for milestone, day in zip(done, days, strict=True):
        services.milestone_record(
            milestone=milestone, completed_on=day, evidence_link="https://e.org/", note="",
            user=staff,
        )  # fmt: skip
    result = compute(target)
    assert (result.value, result.denominator) == (1, 6)
    progress = evaluate(target, as_of=datetime.date(2021, 1, 1))
    assert (progress.value, progress.status) == (2, "missed")


def test_list_counts_organisations_currently_listed(register, target_of):
    from registry.models import ListEntry

    ListEntry.objects.create(organisation=register["a"], kind="abnormal", reason="unreachable",
                             listed_on=datetime.date(2019, 3, 1))  # fmt: skip
    ListEntry.objects.create(organisation=register["f"], kind="abnormal", reason="report_late",
                             listed_on=datetime.date(2019, 3, 1),
                             removed_on=datetime.date(2019, 9, 1))  # fmt: skip
    result = compute(target_of("G3"))
    assert result.value == 1
    assert result.extras["per_year"][2019] == (2, 1)


def test_district_only_targets_have_no_township_value(target_of, township):
    assert compute(target_of("P1"), township_id=township.pk).no_data


def test_quarter_lookups():
    assert QuarterlyReport.objects.ending_on_or_before(datetime.date(2019, 9, 30)).query
