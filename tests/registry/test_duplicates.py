"""No duplicates: a second active organisation of the same name in the same township, a second
filing of the same community organisation, or a taken credit code is refused with the existing
record named and linked, never with the database's constraint text; in forms and in imports."""

import datetime

import pytest
from django.urls import reverse

from registry.models import Organisation, OrgStatus, OrgType
from tests.factories import OrganisationFactory, credit_code_for
from tests.imports.conftest import org_row, xlsx  # noqa: F401  (org_row: a fixture)
from zhenhai_so.importing import get_kind, run_import

pytestmark = pytest.mark.django_db
NAME = "宁波市镇海区后海塘商会"


def _staff_data(township, **changes):
    data = {
        "name": NAME,
        "credit_code": credit_code_for("social_group", 555001),
        "org_type": "social_group",
        "registration_mode": "direct",
        "sector": "industry_association",
        "township": township.pk,
        "registered_on": "2020-01-01",
        "status": "normal",
    }
    return data | changes


def _errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_a_second_active_organisation_of_the_same_name_in_the_township_is_refused(
    client_for, staff, township
):
    existing = OrganisationFactory(name=NAME, township=township)
    response = client_for(staff).post(
        reverse("registry:organisation_create"), _staff_data(township)
    )
    assert response.status_code == 200
    text = response.content.decode()
    link = reverse("registry:organisation_detail", args=[existing.pk])
    assert f'href="{link}"' in text
    assert NAME in _errors(response)
    assert Organisation.objects.filter(name=NAME).count() == 1


def test_the_same_name_elsewhere_or_of_a_dissolved_organisation_is_accepted(
    client_for, staff, township, other_township
):
    OrganisationFactory(name=NAME, township=other_township)
    OrganisationFactory(
        name=NAME,
        township=township,
        status=OrgStatus.DEREGISTERED,
        dissolved_on=datetime.date(2019, 1, 1),
    )
    response = client_for(staff).post(
        reverse("registry:organisation_create"), _staff_data(township)
    )
    assert response.status_code == 302


def test_a_community_organisation_filed_twice_is_refused(client_for, township_user, township):
    community = township.communities.first()
    data = {
        "name": "招宝山文体队",
        "sector": "community_service",
        "community": community.pk,
        "registered_on": "2021-03-01",
        "status": "normal",
    }
    client = client_for(township_user)
    assert client.post(reverse("registry:organisation_create"), data).status_code == 302
    existing = Organisation.objects.get(name="招宝山文体队")
    again = client.post(reverse("registry:organisation_create"), data)
    assert again.status_code == 200
    link = reverse("registry:organisation_detail", args=[existing.pk])
    assert f'href="{link}"' in again.content.decode()
    assert Organisation.objects.filter(org_type=OrgType.COMMUNITY).count() == 1


def test_a_taken_credit_code_is_refused_in_words_with_a_link(client_for, staff, township):
    existing = OrganisationFactory(name="已有的协会", township=township)
    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        _staff_data(township, credit_code=existing.credit_code),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "已有的协会" in " ".join(errors["credit_code"])
    text = response.content.decode()
    assert reverse("registry:organisation_detail", args=[existing.pk]) in text
    assert "org_credit_code_unique" not in text and "约束" not in text


def test_an_import_row_duplicating_an_active_organisation_is_refused_naming_it(
    staff,
    township,
    org_row,  # noqa: F811
):
    existing = OrganisationFactory(name=NAME, township=township)
    plan = run_import(get_kind("organisations"), xlsx([org_row(1, **{"名称": NAME})]), user=staff)
    assert plan.counts["invalid"] == 1
    message = " ".join(str(e) for e in plan.errors)
    assert NAME in message
    assert reverse("registry:organisation_detail", args=[existing.pk]) in message
    assert Organisation.objects.filter(name=NAME).count() == 1
