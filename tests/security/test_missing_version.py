"""Optimistic locking cannot be skipped: an edit of a stored record without the version it was
opened at (left out, or blank) is a stale edit and saves nothing (docs/security.md, P8)."""

import pytest
from django.urls import reverse

from procurement.models import CatalogueItem
from tests.factories import OrganisationFactory
from tests.registry.test_organisations import _edit_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", [None, ""], ids=["left-out", "blank"])
def test_an_organisation_edit_without_its_version_is_refused(client_for, staff, version):
    organisation = OrganisationFactory()
    data = _edit_payload(organisation, legal_representative="覆盖者")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = client_for(staff).post(
        reverse("registry:organisation_edit", args=[organisation.pk]), data
    )
    assert response.status_code == 200
    organisation.refresh_from_db()
    assert organisation.legal_representative != "覆盖者" and organisation.version == 1


@pytest.mark.parametrize("version", [None, ""], ids=["left-out", "blank"])
def test_a_record_form_edit_without_its_version_is_refused(client_for, staff, version):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="旧名")
    data = {"year": 2019, "code": "A1", "name": "覆盖", "description": ""}
    if version is not None:
        data["version"] = version
    response = client_for(staff).post(
        reverse("procurement:catalogue_item_edit", args=[item.pk]), data
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.name, item.version) == ("旧名", 1)


def test_a_new_record_needs_no_version(client_for, staff):
    data = {"year": "2019", "code": "B2", "name": "新服务", "category": "养老"}
    response = client_for(staff).post(reverse("procurement:catalogue_item_create"), data)
    assert response.status_code == 302
    assert CatalogueItem.objects.get(code="B2").version == 1
