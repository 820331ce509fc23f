"""The coverage table's township × class cells open the organisations they count; the export
holds what the page lists; a township office cannot drill into another township."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from partybuilding.models import InstructorAssignment, PartyOrganisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

DAY = "2019-06-30"


@pytest.fixture
def two_townships(township, other_township):
    """township: 本镇自建 (own), 本镇指导员 (instructor), 本镇未覆盖 (none);
    other township: 外镇自建 (own)."""
    day = datetime.date(2019, 1, 1)
    orgs = {}
    for name, where in [
        ("本镇自建", township),
        ("本镇指导员", township),
        ("本镇未覆盖", township),
        ("外镇自建", other_township),
    ]:
        orgs[name] = OrganisationFactory(name=name, township=where)
    for name in ("本镇自建", "外镇自建"):
        party = PartyOrganisation.objects.create(
            name=f"{name}党支部", kind="single", township=orgs[name].township, established_on=day
        )
        party.organisations.set([orgs[name]])
    InstructorAssignment.objects.create(
        organisation=orgs["本镇指导员"], instructor="王", starts_on=day
    )
    return orgs


def _rows(response):
    return sorted(r.name for r in response.context["page"])


def test_a_township_class_cell_opens_the_organisations_it_counts(
    client_for, staff, township, two_townships
):
    client = client_for(staff)
    page = client.get(reverse("partybuilding:coverage"), {"date": DAY})
    row = next(r for r in page.context["table"] if r["township"] == township)
    assert dict(row["cells"])["own"] == 1
    link = f"?date={DAY}&amp;show=own&amp;township={township.pk}"
    assert link in page.content.decode()
    cell = client.get(
        reverse("partybuilding:coverage"), {"date": DAY, "show": "own", "township": township.pk}
    )
    assert _rows(cell) == ["本镇自建"]
    everything = client.get(
        reverse("partybuilding:coverage"), {"date": DAY, "show": "all", "township": township.pk}
    )
    assert _rows(everything) == ["本镇指导员", "本镇未覆盖", "本镇自建"]
    assert len(_rows(everything)) == row["total"]


def test_the_export_holds_the_rows_the_page_lists(client_for, leader, township, two_townships):
    response = client_for(leader).get(
        reverse("partybuilding:coverage"),
        {"date": DAY, "show": "none", "township": township.pk, "export": "xlsx"},
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["本镇未覆盖"]
    # Without a class chosen, the whole (possibly one township's) list.
    response = client_for(leader).get(
        reverse("partybuilding:coverage"), {"date": DAY, "export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row - 1 == 4


def test_a_township_office_cannot_drill_into_another_township(
    client_for, other_township_user, township, two_townships
):
    response = client_for(other_township_user).get(
        reverse("partybuilding:coverage"), {"date": DAY, "show": "all", "township": township.pk}
    )
    assert response.status_code == 200
    assert _rows(response) == ["外镇自建"]  # the foreign township is ignored
