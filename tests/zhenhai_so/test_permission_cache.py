"""zhenhai_so.auth.PortalBackend: a user's permission set is read once and then kept in the cache
until anything changes who holds which permission."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenhai_so.roles import Role
from zhenhai_so.services import user_update

pytestmark = pytest.mark.django_db

LIST = reverse("registry:organisation_list")


def _permission_queries(client, url, status=200) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == status
    return sum("auth_permission" in q["sql"] for q in queries.captured_queries)


def _cached(client) -> None:
    """Ask until the user's permissions come from the cache."""
    client.get(LIST)
    assert _permission_queries(client, LIST) == 0


def test_permissions_are_read_once_then_taken_from_the_cache(caching, client_for, staff):
    client = client_for(staff)
    assert _permission_queries(client, LIST) == 2  # the user's own and their role's
    assert _permission_queries(client, LIST) == 0
    assert _permission_queries(client, reverse("targets:dashboard")) == 0


def test_inside_a_transaction_they_are_read_on_every_request(client_for, staff):
    client = client_for(staff)
    assert _permission_queries(client, LIST) == 2
    assert _permission_queries(client, LIST) == 2


def test_a_role_change_takes_effect_at_once(caching, client_for, staff):
    client = client_for(staff)
    create = reverse("registry:organisation_create")
    _cached(client)
    assert client.get(create).status_code == 200
    user_update(
        user=staff,
        role=Role.LEADER,
        full_name=staff.full_name,
        email=staff.email,
        phone=staff.phone,
        is_active=True,
    )
    assert client.get(create).status_code == 403
    assert client.get(LIST).status_code == 200  # what a leader may still see


def test_a_role_losing_a_permission_loses_it_at_once(caching, client_for, staff):
    client = client_for(staff)
    _cached(client)
    assert "export=xlsx" in client.get(LIST).content.decode()
    export = Permission.objects.get(codename="export_organisation")
    Group.objects.get(name=Role.BUREAU_STAFF).permissions.remove(export)
    assert "export=xlsx" not in client.get(LIST).content.decode()  # nor from the list's cache
    assert client.get(LIST, {"export": "xlsx"}).status_code == 403


def test_a_deactivated_user_is_signed_out_whatever_the_cache_holds(caching, client_for, staff):
    client = client_for(staff)
    _cached(client)
    type(staff).objects.filter(pk=staff.pk).update(is_active=False)  # no signal
    assert client.get(LIST).status_code == 302  # to the login page
