"""The metrics test_metrics.py leaves out, on the same hand-made register: annual facts with the
organisation type (S2) and the charter clause (P5), party building (P3, P4), evaluation (S5),
decoupling (S1) and spot checks (G2); each answer is worked out here, district-wide and per
township."""

import datetime
from decimal import Decimal as D

import pytest

from evaluation.models import Evaluation, IndicatorSystem
from partybuilding.models import InstructorAssignment, PartyOrganisation
from registry.models import Inspection, Organisation
from tests.factories import AnnualReportFactory, OrganisationFactory
from tests.targets.conftest import checked
from tests.targets.test_metrics import AS_OF, register  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
LATER = datetime.date(2020, 3, 1)  # after the as-of date


def compute(target, **kwargs):
    return checked(target, as_of=AS_OF, **kwargs)


def numbers(result):
    return (result.numerator, result.denominator)


@pytest.fixture
def reports(register):  # noqa: F811
    """a (social group): 2018 report with assembly, supervisor, charter clause, 3 party members;
    its 2019 report is submitted after the as-of date, so 2018 is its newest.
    b (民非, registered on the as-of date): no report.
    f (foundation): 2017 report with the charter clause, newer 2018 report without it, with an
    assembly but no council (a foundation needs a council) and 5 party members."""
    a, f = register["a"], register["f"]
    AnnualReportFactory(
        organisation=a, year=2018, has_assembly=True, has_supervisor=True,
        charter_party_clause=True, party_members=3,
    )  # fmt: skip
    AnnualReportFactory(
        organisation=a, year=2019, submitted_on=LATER, has_supervisor=False, party_members=0
    )
    AnnualReportFactory(organisation=f, year=2017, charter_party_clause=True)
    AnnualReportFactory(
        organisation=f, year=2018, has_assembly=True, has_council=False, has_supervisor=True,
        charter_party_clause=False, party_members=5,
    )  # fmt: skip
    return register


def test_governance_needs_the_body_of_the_organisation_type(reports, target_of, township):
    result = compute(target_of("S2"))
    assert numbers(result) == (1, 3)
    assert result.value == D(100) / 3
    assert {o.pk: o.meets for o in result.records} == {
        reports["a"].pk: True,
        reports["b"].pk: False,
        reports["f"].pk: False,
    }
    assert numbers(compute(target_of("S2"), township_id=township.pk)) == (1, 2)


def test_charter_clause_reads_the_newest_report(reports, target_of, other_township):
    assert numbers(compute(target_of("P5"))) == (1, 3)  # f's newest (2018) has no clause
    assert numbers(compute(target_of("P5"), township_id=other_township.pk)) == (0, 1)


def _party(kind, orgs, established, dissolved=None, township=None):
    party = PartyOrganisation.objects.create(
        name=f"党支部{kind}{established}",
        kind=kind,
        township=township or orgs[0].township,
        established_on=established,
        dissolved_on=dissolved,
    )
    party.organisations.set(orgs)
    return party


def test_party_coverage_and_own_organisations(reports, target_of):
    a, b, f = reports["a"], reports["b"], reports["f"]
    _party("single", [a], datetime.date(2018, 1, 1))
    _party("joint", [f], datetime.date(2018, 1, 1), township=f.township)
    _party("single", [b], datetime.date(2018, 1, 1), dissolved=datetime.date(2019, 6, 30))
    # P4: a (own) and f (joint) are covered; b's party organisation was dissolved.
    assert numbers(compute(target_of("P4"))) == (2, 3)
    # P3: a (3 members) and f (5) must have their own; only a has.
    assert numbers(compute(target_of("P3"))) == (1, 2)
    # A party organisation without members (a NULL in the subquery) changes nothing.
    PartyOrganisation.objects.create(
        name="空支部", kind="single", township=a.township, established_on=datetime.date(2018, 1, 1)
    )
    assert numbers(compute(target_of("P4"))) == (2, 3)
    # Per township too, and the records say which of the required have their own.
    p3 = compute(target_of("P3"))
    assert numbers(p3) == (1, 2)
    assert numbers(compute(target_of("P3"), township_id=a.township_id)) == (1, 1)
    assert numbers(compute(target_of("P3"), township_id=f.township_id)) == (0, 1)
    assert {o.pk: o.meets for o in p3.records} == {a.pk: True, f.pk: False}
    # Another minimum of party members is counted on its own: only f has 4 or more.
    stricter = target_of("P3")
    stricter.params = {**stricter.params, "min_members": 4}
    assert numbers(compute(stricter)) == (0, 1)
    f_joint = PartyOrganisation.objects.get(kind="joint")
    f_joint.organisations.clear()
    InstructorAssignment.objects.create(
        organisation=f, instructor="王老师", starts_on=datetime.date(2019, 1, 1)
    )
    InstructorAssignment.objects.create(
        organisation=b, instructor="李老师", starts_on=datetime.date(2020, 1, 1)
    )
    # an instructor covers f; b's starts after the as-of date
    assert numbers(compute(target_of("P4"))) == (2, 3)


def test_evaluated_share_counts_published_evaluations_dated_by_then(reports, target_of):
    system = IndicatorSystem.objects.order_by("applies_from").first()

    def evaluation(org, on, state):
        return Evaluation.objects.create(
            organisation=org, system=system, year=on.year, agency="评估机构",
            evaluated_on=on, state=state,
            **({"published_on": on, "valid_until": on.replace(year=on.year + 5),
                "notice_starts_on": on, "notice_ends_on": on}
               if state == Evaluation.State.PUBLISHED else {}),
        )  # fmt: skip

    evaluation(reports["a"], datetime.date(2019, 5, 1), Evaluation.State.PUBLISHED)
    evaluation(reports["f"], datetime.date(2020, 2, 1), Evaluation.State.PUBLISHED)
    evaluation(reports["b"], datetime.date(2019, 12, 31), Evaluation.State.DRAFT)
    assert numbers(compute(target_of("S5"))) == (1, 3)


def test_decoupling_share_counts_industry_associations_only(register, target_of):  # noqa: F811
    industry = Organisation.objects.filter(pk__in=[register[k].pk for k in "abf"])
    industry.update(sector="industry_association")
    Organisation.objects.filter(pk=register["a"].pk).update(
        decoupling="completed", decoupled_on=datetime.date(2018, 12, 1)
    )
    Organisation.objects.filter(pk=register["f"].pk).update(
        decoupling="completed", decoupled_on=LATER
    )
    Organisation.objects.filter(pk=register["b"].pk).update(decoupling="pending")
    # b, a and f had ties; a decoupled by then, f only later
    assert numbers(compute(target_of("S1"))) == (1, 3)
    # An organisation of another sector never counts, whatever its decoupling field says.
    other = OrganisationFactory(
        township=register["a"].township, sector="charity", decoupling="completed",
        registered_on=datetime.date(2015, 1, 1), decoupled_on=datetime.date(2018, 1, 1),
    )  # fmt: skip
    assert numbers(compute(target_of("S1"))) == (1, 3)
    assert other.pk not in set(compute(target_of("S1")).records.values_list("pk", flat=True))


def test_spot_checks_published(register, target_of):  # noqa: F811
    a, f = register["a"], register["f"]
    Inspection.objects.create(
        organisation=a, inspected_on=datetime.date(2019, 5, 1), result="passed",
        published_on=datetime.date(2019, 6, 1),
    )  # fmt: skip
    Inspection.objects.create(
        organisation=f, inspected_on=datetime.date(2019, 11, 1), result="passed",
        published_on=LATER,
    )  # fmt: skip
    Inspection.objects.create(
        organisation=f, inspected_on=datetime.date(2018, 11, 1), result="passed",
        published_on=datetime.date(2018, 12, 1),
    )  # other year  # fmt: skip
    result = compute(target_of("G2"), year=2019)
    assert numbers(result) == (1, 2)
    assert result.extras["inspections"] == 2
