"""The 村（社区） select offers only the chosen township's communities (a page script refreshes
them when the township changes); a filed community organisation has a 负责人, not a 法定代表人;
exported sheets have columns sized to their contents and a frozen header row."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import OrgType
from tests.factories import OrganisationFactory
from zhenhai_so.excel import new_workbook, write_sheet

pytestmark = pytest.mark.django_db


def test_the_community_select_offers_the_chosen_townships_communities_only(
    client_for, staff, township, other_township
):
    organisation = OrganisationFactory(township=township)
    page = client_for(staff).get(reverse("registry:organisation_edit", args=[organisation.pk]))
    offered = {c.township_id for c in page.context["form"].fields["community"].queryset}
    assert offered == {township.pk}
    data = json.loads(
        page.content.decode()
        .split('id="communities-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert str(other_township.pk) in data and str(township.pk) in data
    assert 'data-communities="communities-data"' in page.content.decode()


def test_a_posted_township_decides_the_communities_offered(client_for, staff, township):
    page = client_for(staff).post(
        reverse("registry:organisation_create"), {"township": township.pk, "name": ""}
    )
    offered = {c.township_id for c in page.context["form"].fields["community"].queryset}
    assert offered == {township.pk}


def test_a_filed_community_organisation_has_a_person_in_charge(
    client_for, township_user, staff, township
):
    form = client_for(township_user).get(reverse("registry:organisation_create"))
    assert "负责人" in form.content.decode() and "法定代表人" not in form.content.decode()
    filed = OrganisationFactory(
        township=township, org_type=OrgType.COMMUNITY, registration_mode="filed"
    )
    page = client_for(staff).get(reverse("registry:organisation_detail", args=[filed.pk]))
    assert "负责人" in page.content.decode() and "法定代表人" not in page.content.decode()


def test_exported_sheets_have_sized_columns_and_a_frozen_header():
    workbook = new_workbook()
    write_sheet(
        workbook,
        "组织",
        ["统一社会信用代码", "名称", "成立日期"],
        [["51330211MJ0000001X", "宁波市镇海区某某街道社区社会组织联合会服务中心", None]],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["组织"]
    assert sheet.freeze_panes == "A2"
    widths = {k: sheet.column_dimensions[k].width for k in "ABC"}
    assert widths["A"] >= 20
    assert widths["B"] >= 40
    assert 10 <= widths["C"] <= 16
