"""The register list is kept in the cache under the data version: a list asked for again reads
no organisation, and any change to the register shows at once."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

URL = reverse("registry:organisation_list")


def _list(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def _names(response) -> list[str]:
    table = re.search(
        r'data-testid="organisation-table">.*?</table>', response.content.decode(), re.S
    )
    return re.findall(
        r'<td><a href="/registry/organisations/\d+/">([^<]+)</a></td>', table.group(0)
    )


def _filter_and_table(response) -> str:
    html = response.content.decode()
    return html[html.index('<form method="get"') : html.index("</table>")]


def test_a_list_asked_for_again_reads_no_organisation(caching, client_for, staff, township):
    OrganisationFactory(name="书法协会", township=township)
    OrganisationFactory(name="象棋协会", township=township)
    client = client_for(staff)
    first = _list(client, q="协会", o="name")
    assert "page" in first.context  # computed
    with CaptureQueriesContext(connection) as queries:
        again = _list(client, o="name", q="协会")  # the same query, its parameters reordered
    assert "page" not in again.context and "filter" not in again.context  # from the cache
    assert not [q for q in queries.captured_queries if "registry_" in q["sql"]]
    assert _filter_and_table(again) == _filter_and_table(first)
    assert _names(again) == ["书法协会", "象棋协会"]
    assert 'value="协会"' in _filter_and_table(again)  # the form keeps what was asked


def test_every_kind_of_change_shows_at_once(caching, client_for, staff, township):
    client = client_for(staff)
    org = OrganisationFactory(name="书法协会", township=township)
    assert _names(_list(client)) == ["书法协会"]
    OrganisationFactory(name="围棋协会", township=township)  # save()
    assert set(_names(_list(client))) == {"书法协会", "围棋协会"}
    Organisation.objects.filter(pk=org.pk).update(name="书画协会")  # QuerySet.update()
    assert set(_names(_list(client))) == {"围棋协会", "书画协会"}
    Organisation.objects.filter(pk=org.pk).delete()
    assert _names(_list(client)) == ["围棋协会"]
    township.name = "改名镇"  # the township filter's choices and the table's column
    township.save()
    assert "改名镇" in _filter_and_table(_list(client))


def test_each_township_language_and_export_right_has_its_own_entry(
    caching, client_for, staff, township_user, township, other_township
):
    OrganisationFactory(name="本镇组织", township=township)
    OrganisationFactory(name="外镇组织", township=other_township)
    assert set(_names(_list(client_for(staff)))) == {"外镇组织", "本镇组织"}
    township_list = _list(client_for(township_user))
    assert _names(township_list) == ["本镇组织"]
    assert other_township.name not in _filter_and_table(township_list)
    assert "export=xlsx" in _filter_and_table(_list(client_for(staff)))
    client = client_for(staff)
    client.post(reverse("set_language"), {"language": "en"})
    assert "Export to Excel" in _filter_and_table(_list(client))


def test_an_invalid_filter_is_reported_from_the_cache_too(caching, client_for, staff):
    client = client_for(staff)
    for response in (_list(client, status="nonsense"), _list(client, status="nonsense")):
        assert "invalid-feedback" in _filter_and_table(response)


def test_the_export_is_never_taken_from_the_cache(caching, client_for, staff, township):
    OrganisationFactory(name="书法协会", township=township)
    client = client_for(staff)
    _list(client)
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
