"""Figures lead to the records behind them: the totals' year × channel cells, the catalogue's
project counts and the excellent teams per year open the project or award list filtered so that
it holds exactly the projects counted."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from procurement.models import Award, CatalogueItem
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _names(client, url):
    path, _sep, query = url.partition("?")
    response = client.get(path, dict(p.split("=") for p in query.split("&")))
    assert response.status_code == 200
    return sorted(p.name for p in response.context["page"])


def test_a_totals_cell_opens_the_projects_it_counts(client_for, staff):
    ProjectFactory(name="甲", year=2018, channel="venture", contract_amount=Decimal("100"))
    ProjectFactory(name="乙", year=2018, channel="venture", contract_amount=Decimal("200"))
    ProjectFactory(name="终止", year=2018, channel="venture", state="terminated")
    ProjectFactory(name="别的渠道", year=2018, channel="purchase")
    ProjectFactory(name="别的年度", year=2019, channel="venture")
    client = client_for(staff)
    page = client.get(reverse("procurement:totals"))
    row = next(r for r in page.context["rows"] if r["year"] == 2018)
    venture = next(c for c in row["cells"] if c["channel"] == "venture")
    assert venture["n"] == 2
    link = f"{reverse('procurement:project_list')}?year=2018&channel=venture&counted=true"
    assert link.replace("&", "&amp;") in page.content.decode()
    assert _names(client, link) == ["乙", "甲"]  # the terminated one is not counted
    year_link = f"{reverse('procurement:project_list')}?year=2018&counted=true"
    assert len(_names(client, year_link)) == row["n"] == 3


def test_a_catalogue_services_project_count_opens_those_projects(client_for, staff):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="居家养老")
    ProjectFactory(name="用目录", catalogue_item=item)
    ProjectFactory(name="不用目录")
    client = client_for(staff)
    page = client.get(reverse("procurement:catalogue"), {"year": "2019"})
    assert page.context["items"][0].n_projects == 1
    link = f"{reverse('procurement:project_list')}?catalogue_item={item.pk}"
    assert link in page.content.decode()
    assert _names(client, link) == ["用目录"]


def test_excellent_teams_per_year_open_that_years_teams(client_for, staff):
    organisation = OrganisationFactory()
    for year, name in [(2018, "甲队"), (2019, "乙队"), (2019, "丙队")]:
        Award.objects.create(
            year=year, organisation=organisation, name=name, named_on=datetime.date(year, 12, 1)
        )
    client = client_for(staff)
    page = client.get(reverse("procurement:award_list"))
    assert page.context["per_year"] == [(2019, 2), (2018, 1)]
    assert 'href="?year=2019"' in page.content.decode()
    teams = client.get(reverse("procurement:award_list"), {"year": "2019"}).context["page"]
    assert sorted(a.name for a in teams) == ["丙队", "乙队"]
