"""The metrics neither test_metrics.py nor test_metrics_more.py covers, each on small hand-made
data whose answer is worked out here from ``docs/targets.md``: demonstration sites (P6),
trainings (P7, P8, S7), the study class (S9), rural demonstration platforms (C4), purchase of
services (C8, C9), awards (B1) and brands (B2, B3). Every test holds a record that must not
count."""

import datetime
from decimal import Decimal as D

import pytest

from partybuilding.models import DemonstrationSite, TrainingEnrolment
from procurement.models import Award, Brand, PerformanceEvaluation
from registry.models import Township
from tests.factories import OrganisationFactory, ProjectFactory, TrainingFactory
from tests.targets.conftest import checked
from tests.targets.test_metrics import AS_OF, _accepted_report

pytestmark = pytest.mark.django_db
LATER = datetime.date(2020, 3, 1)  # after the as-of date


def compute(target, as_of=AS_OF, **kwargs):
    return checked(target, as_of=as_of, **kwargs)


def numbers(result):
    return (result.numerator, result.denominator)


def test_demonstration_sites_named_for_the_year(target_of, township):
    """P6: two sites for 2019 named in 2019 count by the end of 2019; one for 2018 does not; one
    for 2019 named only in January 2020 counts for 2019 from the day it was named."""
    orgs = [OrganisationFactory(township=township) for _ in range(4)]
    for org, year, named in [
        (orgs[0], 2019, datetime.date(2019, 4, 1)),
        (orgs[1], 2019, datetime.date(2019, 12, 31)),
        (orgs[2], 2018, datetime.date(2018, 10, 1)),
        (orgs[3], 2019, datetime.date(2020, 1, 15)),
    ]:
        DemonstrationSite.objects.create(
            organisation=org, year=year, named_on=named, name=f"党建示范点{org.pk}"
        )
    result = compute(target_of("P6"), year=2019)
    assert (result.value, result.numerator) == (2, 2)
    assert set(result.records.values_list("organisation", flat=True)) == {orgs[0].pk, orgs[1].pk}
    assert compute(target_of("P6"), as_of=datetime.date(2020, 1, 14), year=2019).value == 2
    assert compute(target_of("P6"), as_of=datetime.date(2020, 1, 15), year=2019).value == 3
    # Counted in the township of the site's organisation.
    assert compute(target_of("P6"), township_id=township.pk).value == 2


@pytest.fixture
def trainings(township):
    """District trainings of 2019: leaders (10 May), activists, staff rotation, and a study class;
    a township leaders' training of 2019, a district leaders' training of 2018, a township staff
    rotation training of 2019 and a district staff rotation training of 2020."""
    district = "district"
    return {
        "leaders": TrainingFactory(kind="leaders", level=district),
        "activists": TrainingFactory(
            kind="activists", level=district, held_on=datetime.date(2019, 9, 1)
        ),
        "rotation": TrainingFactory(
            kind="staff_rotation", level=district, held_on=datetime.date(2019, 12, 31)
        ),
        "study": TrainingFactory(
            kind="study_class", level=district, held_on=datetime.date(2019, 7, 1)
        ),
        "township_leaders": TrainingFactory(
            kind="leaders", level="township", township=township, held_on=datetime.date(2019, 6, 1)
        ),
        "leaders_2018": TrainingFactory(
            kind="leaders", level=district, held_on=datetime.date(2018, 11, 1)
        ),
        "township_rotation": TrainingFactory(
            kind="staff_rotation",
            level="township",
            township=township,
            held_on=datetime.date(2019, 3, 1),
        ),  # fmt: skip
        "rotation_2020": TrainingFactory(
            kind="staff_rotation", level=district, held_on=datetime.date(2020, 1, 2)
        ),
    }


def test_leaders_trainings_are_district_trainings_of_the_year(trainings, target_of):
    """P7: only the district leaders' training of 2019 (not the township one, not 2018's, not the
    activists' one)."""
    result = compute(target_of("P7"), year=2019)
    assert (result.value, result.numerator) == (1, 1)
    assert list(result.records) == [trainings["leaders"]]
    assert compute(target_of("P7"), as_of=datetime.date(2018, 12, 31), year=2018).value == 1


def test_activists_trainings_are_district_trainings_of_the_year(trainings, target_of):
    """P8: the district activists' training of 2019; none held in 2018."""
    result = compute(target_of("P8"), year=2019)
    assert list(result.records) == [trainings["activists"]]
    assert result.value == 1
    assert compute(target_of("P8"), as_of=datetime.date(2019, 8, 31), year=2019).value == 0


def test_staff_rotation_trainings_of_the_year(trainings, target_of, township):
    """S7: "trainings of that kind held in year Y" (no level named): the district one and the
    township one of 2019; the one of 2 January 2020 does not count for 2019."""
    result = compute(target_of("S7"), year=2019)
    assert (result.value, result.numerator) == (2, 2)
    assert set(result.records) == {trainings["rotation"], trainings["township_rotation"]}
    assert compute(target_of("S7"), township_id=township.pk).no_data  # district only


def test_study_class_counts_representatives_of_the_district_class_of_the_year(
    trainings, target_of, township
):
    """S9: three representatives in the district study class of 2019; one in a township study
    class, one in the 2020 class and one in the leaders' training do not count."""
    org = OrganisationFactory(township=township)
    township_class = TrainingFactory(
        kind="study_class", level="township", township=township, held_on=datetime.date(2019, 7, 1)
    )
    class_2020 = TrainingFactory(
        kind="study_class", level="district", held_on=datetime.date(2020, 7, 1)
    )
    for person in ["王一", "王二", "王三"]:
        TrainingEnrolment.objects.create(
            training=trainings["study"], organisation=org, person=person
        )
    for training in [township_class, class_2020, trainings["leaders"]]:
        TrainingEnrolment.objects.create(training=training, organisation=org, person="李四")
    result = compute(target_of("S9"), year=2019)
    assert (result.value, result.numerator) == (3, 3)
    assert set(result.records.values_list("person", flat=True)) == {"王一", "王二", "王三"}
    assert compute(target_of("S9"), as_of=datetime.date(2020, 12, 31), year=2020).value == 1


def test_rural_demonstration_platforms_count_townships_reporting_at_least_one(
    plan, target_of, township, other_township, township_user, other_township_user, staff
):
    """C4: the township's newest accepted report (2019 Q4) gives 2 platforms → counts; its older
    Q3 report said 0; the other township reports 0 → does not count."""
    code = ("rural_demo_platforms", None)
    _accepted_report(plan, township, 2019, 3, {code: {"value": "0"}}, staff, township_user)
    _accepted_report(plan, township, 2019, 4, {code: {"value": "2"}}, staff, township_user)
    _accepted_report(
        plan, other_township, 2019, 4, {code: {"value": "0"}}, staff, other_township_user
    )
    # The Q4 reports are accepted on 2020-01-10: on 2019-12-31 the township's newest accepted
    # report is Q3's (0 platforms).
    assert compute(target_of("C4")).value == 0
    result = compute(target_of("C4"), as_of=datetime.date(2020, 1, 10))
    assert (result.value, result.numerator) == (1, 1)
    assert {t.pk for t in result.records if t.meets} == {township.pk}
    later = datetime.date(2020, 1, 10)
    assert compute(target_of("C4"), as_of=later, township_id=other_township.pk).value == 0
    # On 30 Sep 2019 no report was accepted yet (Q3's was accepted on 10 October): no data.
    assert compute(target_of("C4"), as_of=datetime.date(2019, 9, 30)).no_data


def test_purchase_growth_compares_signed_contract_amounts_year_on_year(
    target_of, township, other_township
):
    """C8: 2019 purchase contracts 48,000 + 12,000 = 60,000 (two projects) against 40,000 in
    2018 → +50 %. A venture project of 2019 and a contract signed in 2020 do not count."""
    here = OrganisationFactory(township=township)
    there = OrganisationFactory(township=other_township)
    ProjectFactory(organisation=here, year=2018, contract_amount=40000,
                   signed_on=datetime.date(2018, 5, 1), starts_on=datetime.date(2018, 5, 1),
                   ends_on=datetime.date(2018, 12, 31))  # fmt: skip
    ProjectFactory(organisation=here, contract_amount=48000)  # signed 2019-03-01
    ProjectFactory(organisation=there, contract_amount=12000, signed_on=datetime.date(2019, 12, 31))
    ProjectFactory(organisation=here, channel="venture", contract_amount=99000)
    ProjectFactory(organisation=here, year=2020, contract_amount=70000,
                   signed_on=datetime.date(2020, 1, 1), starts_on=datetime.date(2020, 1, 1),
                   ends_on=datetime.date(2020, 12, 31))  # fmt: skip
    result = compute(target_of("C8"), year=2019)
    assert numbers(result) == (D(6), D(4))  # in 万元
    assert result.value == 50
    assert (result.extras["amount"], result.extras["count"]) == (D(6), 2)
    mine = compute(target_of("C8"), township_id=township.pk, year=2019)
    assert numbers(mine) == (D("4.8"), D(4))
    assert mine.value == 20


def test_third_party_evaluated_share_of_finished_purchases(target_of, township):
    """C9: three purchase projects finished by the date; one evaluated by then, one evaluated only
    after the date, one not at all → 1 of 3. A running project and a finished venture project,
    both evaluated, are not in the count."""
    org = OrganisationFactory(township=township)

    def project(evaluated_on=None, **kwargs):
        p = ProjectFactory(organisation=org, **kwargs)
        if evaluated_on:
            PerformanceEvaluation.objects.create(
                project=p, agency="第三方评估机构", score=D("88.50"), evaluated_on=evaluated_on
            )
        return p

    done = {"state": "finished", "finished_on": datetime.date(2019, 10, 31)}
    evaluated = project(datetime.date(2019, 11, 15), **done)
    project(LATER, **done)
    project(None, **done)
    project(datetime.date(2019, 11, 15), state="running")
    project(datetime.date(2019, 11, 15), channel="venture", **done)
    result = compute(target_of("C9"))
    assert numbers(result) == (1, 3)
    assert [p.pk for p in result.records if p.meets] == [evaluated.pk]
    assert numbers(compute(target_of("C9"), as_of=datetime.date(2020, 12, 31))) == (2, 3)


def test_excellent_teams_named_in_the_year(target_of, township):
    """B1: three teams named for 2019 count; one of 2018 does not."""
    org = OrganisationFactory(township=township)
    for n in range(3):
        Award.objects.create(year=2019, organisation=org, name=f"优秀公益团队{n}",
                             named_on=datetime.date(2019, 12, 1))  # fmt: skip
    Award.objects.create(year=2018, organisation=org, name="优秀公益团队2018",
                         named_on=datetime.date(2018, 12, 1))  # fmt: skip
    result = compute(target_of("B1"), year=2019)
    assert (result.value, result.numerator) == (3, 3)
    assert compute(target_of("B1"), as_of=datetime.date(2019, 11, 30), year=2019).value == 0


def test_excellent_teams_per_township(target_of, township, other_township):
    """B1 per township: two teams of the township named for 2019; the other township's does not
    count."""
    here = OrganisationFactory(township=township)
    there = OrganisationFactory(township=other_township)
    for n, org in enumerate([here, here, there]):
        Award.objects.create(year=2019, organisation=org, name=f"优秀公益团队{n}",
                             named_on=datetime.date(2019, 12, 1))  # fmt: skip
    result = compute(target_of("B1"), township_id=township.pk, year=2019)
    assert (result.value, result.numerator) == (2, 2)


def _brand(name, level, named_on, township=None):
    return Brand.objects.create(
        name=name, level=level, named_on=named_on, year=named_on.year, township=township
    )


def test_district_brands_named_by_the_date(target_of, township):
    """B2: two district brands named by the date; one named later and a township brand do not
    count."""
    _brand("区级品牌一", "district", datetime.date(2018, 11, 1))
    _brand("区级品牌二", "district", datetime.date(2019, 12, 31))
    _brand("区级品牌三", "district", LATER)
    _brand("镇级品牌", "township", datetime.date(2019, 5, 1), township=township)
    result = compute(target_of("B2"))
    assert (result.value, result.numerator) == (2, 2)
    assert set(result.records.values_list("name", flat=True)) == {"区级品牌一", "区级品牌二"}
    assert compute(target_of("B2"), as_of=datetime.date(2020, 12, 31)).value == 3


def test_townships_with_a_township_brand(target_of, township, other_township):
    """B3: only the township has a township-level brand by the date; the other township has a
    district-level brand and a township brand named after the date → 1 of all townships."""
    _brand("镇级品牌一", "township", datetime.date(2019, 5, 1), township=township)
    _brand("镇级品牌二", "township", datetime.date(2019, 6, 1), township=township)
    _brand("区级品牌", "district", datetime.date(2019, 5, 1), township=other_township)
    _brand("镇级品牌三", "township", LATER, township=other_township)
    total = Township.objects.count()
    assert total == 7
    result = compute(target_of("B3"))
    assert numbers(result) == (1, total)
    assert {t.pk for t in result.records if t.meets} == {township.pk}
    assert numbers(compute(target_of("B3"), township_id=other_township.pk)) == (0, 1)
    assert numbers(compute(target_of("B3"), as_of=datetime.date(2020, 12, 31))) == (2, total)
