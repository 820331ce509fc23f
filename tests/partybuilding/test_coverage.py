"""Coverage on hand-made data with known answers, the flag, dates, scoping, pages and query
counts."""

import datetime

import pytest
from django.urls import reverse

from partybuilding.coverage import coverage_on
from partybuilding.models import InstructorAssignment, PartyOrganisation
from registry.models import OrgType
from tests.factories import AnnualReportFactory, OrganisationFactory, TrainingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2019, 6, 30)


def _party(kind, organisations, established_on=datetime.date(2018, 1, 1), dissolved_on=None):
    party = PartyOrganisation.objects.create(
        name=f"党支部{organisations[0].name}",
        kind=kind,
        township=organisations[0].township,
        established_on=established_on,
        dissolved_on=dissolved_on,
    )
    party.organisations.set(organisations)
    return party


@pytest.fixture
def district(township, other_township):
    """Nine organisations with known coverage on 2019-06-30.

    own: a (own + joint + instructor: counts once, as own), b
    joint: c, d (one joint organisation covering both)
    instructor: e (current), f (assignment ends on the day: still covered)
    none: g (instructor ended the day before), h (own dissolved before), i (own set up after)
    not counted: a filed community organisation, one dissolved, one registered after the day.
    """
    o = {k: OrganisationFactory(name=k, township=township) for k in "abcdefgh"}
    o["i"] = OrganisationFactory(name="i", township=other_township)
    _party("single", [o["a"]])
    _party("joint", [o["a"], o["c"], o["d"]])
    InstructorAssignment.objects.create(organisation=o["a"], instructor="王", starts_on=DAY)
    _party("single", [o["b"]])
    InstructorAssignment.objects.create(organisation=o["e"], instructor="李", starts_on=DAY)
    InstructorAssignment.objects.create(
        organisation=o["f"], instructor="赵", starts_on=datetime.date(2018, 1, 1), ends_on=DAY
    )
    InstructorAssignment.objects.create(
        organisation=o["g"],
        instructor="钱",
        starts_on=datetime.date(2018, 1, 1),
        ends_on=DAY - datetime.timedelta(days=1),
    )
    _party("single", [o["h"]], dissolved_on=DAY)
    _party("single", [o["i"]], established_on=DAY + datetime.timedelta(days=1))
    filed = OrganisationFactory(name="filed", org_type=OrgType.COMMUNITY, township=township)
    _party("single", [filed])
    OrganisationFactory(name="gone", dissolved_on=datetime.date(2019, 1, 1), status="deregistered")
    OrganisationFactory(name="later", registered_on=datetime.date(2019, 7, 1))
    # Party members: newest report of a year ≤ 2019.
    AnnualReportFactory(organisation=o["b"], year=2018, party_members=5)  # own: not flagged
    AnnualReportFactory(organisation=o["c"], year=2017, party_members=1)
    AnnualReportFactory(organisation=o["c"], year=2018, party_members=3)  # joint, ≥ 3: flagged
    AnnualReportFactory(organisation=o["e"], year=2018, party_members=4)
    AnnualReportFactory(organisation=o["e"], year=2019, party_members=2)  # newest says 2
    AnnualReportFactory(organisation=o["g"], year=2020, party_members=9)  # after the year
    AnnualReportFactory(organisation=o["h"], year=2019, party_members=3)  # none, ≥ 3: flagged
    return o


def test_coverage_classes_on_hand_made_data(district):
    result = coverage_on(DAY)
    by_name = {r.name: r.coverage for r in result.rows}
    assert by_name == {
        "a": "own",
        "b": "own",
        "c": "joint",
        "d": "joint",
        "e": "instructor",
        "f": "instructor",
        "g": "none",
        "h": "none",
        "i": "none",
    }
    assert dict(result.counts) == {"own": 2, "joint": 2, "instructor": 2, "none": 3}
    assert result.total == 9 and result.covered == 6


def test_flag_uses_the_newest_report_of_the_year_or_before(district):
    result = coverage_on(DAY)
    assert sorted(r.name for r in result.rows if r.flagged) == ["c", "h"]
    assert result.flagged == 2
    assert result.obliged == 3  # b, c, h have ≥ 3 members; P3 = 1 / 3
    members = {r.name: r.party_members for r in result.rows}
    assert (members["e"], members["g"], members["a"]) == (2, None, None)


def test_coverage_by_township_and_for_one_township(district, township, other_township):
    result = coverage_on(DAY)
    assert result.by_township[other_township.name] == {"none": 1}
    assert sum(result.by_township[township.name].values()) == 8
    assert coverage_on(DAY, township=other_township).total == 1


def test_coverage_on_another_date(district):
    later = coverage_on(datetime.date(2019, 7, 1))
    by_name = {r.name: r.coverage for r in later.rows}
    assert by_name["f"] == "none"  # the assignment ended on 30 June
    assert by_name["i"] == "own"  # set up on 1 July
    assert "later" in by_name


def test_coverage_is_one_query(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        coverage_on(DAY)


def test_coverage_page_for_township_user_counts_only_their_township(
    client_for, township_user, district
):
    response = client_for(township_user).get(
        reverse("partybuilding:coverage"), {"date": "2019-06-30", "show": "flagged"}
    )
    result = response.context["result"]
    assert result.total == 8
    assert dict(result.counts) == {"own": 2, "joint": 2, "instructor": 2, "none": 2}
    assert [r.name for r in response.context["page"]] == ["c", "h"]
    assert [row["township"] for row in response.context["table"]] == [township_user.township]


def test_coverage_export_for_leader(client_for, leader, district):
    import io

    from openpyxl import load_workbook

    response = client_for(leader).get(
        reverse("partybuilding:coverage"), {"date": "2019-06-30", "export": "xlsx"}
    )
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 10


def test_coverage_page_query_count_does_not_grow(
    client_for, staff, district, django_assert_max_num_queries
):
    client = client_for(staff)
    url = reverse("partybuilding:coverage")
    client.get(url)
    # session, user, permissions (2), notifications, townships, coverage, session save (3)
    with django_assert_max_num_queries(10):
        assert client.get(url, {"date": "2019-06-30", "show": "all"}).status_code == 200


def test_party_tab_shows_class_and_flag(client_for, staff, district):
    url = reverse("registry:organisation_detail", args=[district["h"].pk])
    response = client_for(staff).get(url, {"tab": "party"})
    assert response.context["tab_context"]["coverage"] == "none"
    assert response.context["tab_context"]["flagged"] is True


def test_party_organisation_list_is_scoped_and_prefetched(
    client_for, township_user, district, django_assert_max_num_queries
):
    client = client_for(township_user)
    url = reverse("partybuilding:party_organisation_list")
    client.get(url)
    # session, user, permissions (2), the user's township (page header), notifications,
    # township choices, count, page, prefetched organisations, session save (3)
    with django_assert_max_num_queries(13):
        response = client.get(url)
    names = {p.name for p in response.context["page"]}
    assert "党支部i" not in names
    assert "党支部a" in names


def test_trainings_show_district_ones_and_own_township_only(
    client_for, township_user, township, other_township
):
    TrainingFactory(title="区级培训")
    TrainingFactory(title="本镇培训", level="township", township=township)
    TrainingFactory(title="外镇培训", level="township", township=other_township)
    response = client_for(township_user).get(reverse("partybuilding:training_list"))
    assert sorted(t.title for t in response.context["page"]) == ["区级培训", "本镇培训"]
