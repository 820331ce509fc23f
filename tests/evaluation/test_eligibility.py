"""Who may be evaluated: 《社会组织评估管理办法》 (民政部令第39号) 第六条 and 第七条, checked when
an evaluation is opened, shown on the page and refused with the reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluation import services
from registry.models import AnnualReport, Inspection, ListEntry
from tests.factories import (
    AnnualReportFactory,
    EvaluationFactory,
    OrganisationFactory,
    indicator_system,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2019, 9, 1)  # 2018's reports were due on 2019-05-31


def _open(organisation, day=DAY):
    return services.evaluation_create(
        organisation=organisation, system=indicator_system(), agency="评估中心", evaluated_on=day
    )


def _reported(organisation, *years, result=AnnualReport.Result.QUALIFIED):
    for year in years:
        AnnualReportFactory(
            organisation=organisation,
            year=year,
            submitted_on=datetime.date(year + 1, 4, 1),
            result=result,
        )


def _refusal(organisation, day=DAY) -> str:
    with pytest.raises(ValidationError) as refused:
        _open(organisation, day)
    return " ".join(refused.value.messages)


def test_an_organisation_registered_two_full_years_and_never_evaluated_is_evaluated():
    organisation = OrganisationFactory(registered_on=datetime.date(2017, 8, 31))
    _reported(organisation, 2018)
    assert _open(organisation).pk


def test_an_organisation_registered_less_than_two_years_ago_is_refused():
    organisation = OrganisationFactory(registered_on=datetime.date(2017, 9, 2))
    _reported(organisation, 2018)
    assert "2019-09-02" in _refusal(organisation)


def test_an_organisation_whose_grade_still_holds_is_refused_until_it_runs_out():
    organisation = OrganisationFactory()
    _reported(organisation, 2017, 2018, 2022, 2023)
    EvaluationFactory(organisation=organisation, published=True)  # valid until 2024-07-14
    assert "2024-07-14" in _refusal(organisation)
    assert _open(organisation, datetime.date(2024, 7, 15)).pk


def test_missing_last_years_annual_inspection_is_refused():
    organisation = OrganisationFactory()
    _reported(organisation, 2017)
    AnnualReportFactory(year=2018)  # the register holds 2018's reports
    assert "2018" in _refusal(organisation)


def test_failing_last_years_annual_inspection_is_refused():
    organisation = OrganisationFactory()
    _reported(organisation, 2018, result=AnnualReport.Result.UNQUALIFIED)
    assert "2018" in _refusal(organisation)


def test_basically_qualified_two_years_running_is_refused():
    organisation = OrganisationFactory()
    _reported(organisation, 2017, 2018, result=AnnualReport.Result.BASICALLY)
    assert "2017" in _refusal(organisation)
    once = OrganisationFactory()
    _reported(once, 2017)
    _reported(once, 2018, result=AnnualReport.Result.BASICALLY)
    assert _open(once).pk


def test_a_penalty_last_year_is_refused():
    organisation = OrganisationFactory()
    _reported(organisation, 2018)
    Inspection.objects.create(
        organisation=organisation,
        inspected_on=datetime.date(2018, 10, 1),
        result=Inspection.Result.PENALTY,
    )
    assert "2018" in _refusal(organisation)


@pytest.mark.parametrize("kind", [ListEntry.Kind.ABNORMAL, ListEntry.Kind.SERIOUS])
def test_an_organisation_on_a_list_is_refused(kind):
    organisation = OrganisationFactory()
    _reported(organisation, 2018)
    ListEntry.objects.create(
        organisation=organisation,
        kind=kind,
        reason=ListEntry.Reason.OTHER,
        listed_on=datetime.date(2019, 1, 10),
    )
    assert str(ListEntry.Kind(kind).label) in _refusal(organisation)


def test_the_page_shows_the_rules_and_refuses_with_the_reason(client_for, staff, township):
    organisation = OrganisationFactory(township=township, registered_on=datetime.date(2026, 1, 5))
    client = client_for(staff)
    url = reverse("evaluation:evaluation_create")
    page = client.get(url).content.decode()
    assert "民政部令第39号" in page
    response = client.post(
        url,
        {
            "credit_code": organisation.credit_code,
            "system": indicator_system().pk,
            "agency": "评估中心",
            "evaluated_on": "2026-11-30",
        },
    )
    assert response.status_code == 200
    assert "2028-01-05" in response.content.decode()
    assert not organisation.evaluations.exists()
