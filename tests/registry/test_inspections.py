"""Spot-check inspections: staff record one, a bad publication date is refused at the field."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from registry.models import Inspection
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_staff_records_an_inspection_and_it_is_in_the_audit_log(client_for, staff):
    organisation = OrganisationFactory()
    url = reverse("registry:inspection_create", kwargs={"pk": organisation.pk})
    response = client_for(staff).post(
        url,
        {
            "inspected_on": "2019-05-06",
            "inspectors": "王, 李",
            "result": Inspection.Result.RECTIFY,
            "findings": "账目不清",
            "published_on": "2019-05-20",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=inspections")
    inspection = Inspection.objects.get(organisation=organisation)
    assert inspection.inspected_on == datetime.date(2019, 5, 6)
    assert LogEntry.objects.get_for_object(inspection).exists()
    listing = client_for(staff).get(reverse("registry:inspection_list"))
    assert organisation.name in listing.content.decode()


def test_publication_before_the_inspection_is_refused_at_the_field(client_for, staff):
    organisation = OrganisationFactory()
    url = reverse("registry:inspection_create", kwargs={"pk": organisation.pk})
    response = client_for(staff).post(
        url,
        {
            "inspected_on": "2019-05-06",
            "result": Inspection.Result.PASSED,
            "published_on": "2019-05-01",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["published_on"]
    assert errors and all(any("\u4e00" <= ch <= "\u9fff" for ch in e) for e in errors)
    assert not Inspection.objects.filter(organisation=organisation).exists()


def test_leader_cannot_record_an_inspection(client_for, leader):
    organisation = OrganisationFactory()
    url = reverse("registry:inspection_create", kwargs={"pk": organisation.pk})
    response = client_for(leader).post(url, {"inspected_on": "2019-05-06", "result": "passed"})
    assert response.status_code == 403
    assert not Inspection.objects.exists()
