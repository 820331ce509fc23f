"""Signed-in pages and every file the portal hands out are never stored by a browser or a proxy
(``Cache-Control: no-store``; docs/security.md, finding P7)."""

import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "name,params",
    [
        ("registry:organisation_list", {}),
        ("registry:organisation_list", {"export": "xlsx"}),
        ("disclosure:search", {}),  # a public page, but this visitor is signed in
        ("notifications:list", {}),
        ("home", {}),
    ],
)
def test_every_signed_in_response_is_no_store(client_for, staff, name, params):
    OrganisationFactory()
    response = client_for(staff).get(reverse(name), params)
    assert response.status_code in (200, 302)
    assert _no_store(response)


def test_the_audit_export_is_no_store(client_for, auditor):
    assert _no_store(client_for(auditor).get(reverse("audit:list"), {"export": "xlsx"}))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_public_download_is_no_store_even_signed_out(client, fmt):
    OrganisationFactory()
    response = client.get(reverse("disclosure:search"), {"export": fmt})
    assert response.status_code == 200
    assert _no_store(response)
