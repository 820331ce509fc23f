"""Organisation pages: access, filters, export, forms, stale edits, audit history."""

import datetime
import io
import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import Organisation, OrgType
from tests.factories import AnnualReportFactory, OrganisationFactory, community_of

pytestmark = pytest.mark.django_db


def _rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def test_township_user_lists_only_their_township(
    client_for, township_user, township, other_township
):
    OrganisationFactory(name="本镇组织", township=township)
    OrganisationFactory(name="外镇组织", township=other_township)
    response = client_for(township_user).get(reverse("registry:organisation_list"))
    names = [o.name for o in response.context["page"]]
    assert names == ["本镇组织"]


def test_township_filter_offers_no_other_township(client_for, township_user, other_township):
    response = client_for(township_user).get(reverse("registry:organisation_list"))
    options = response.context["filter"].form.fields["township"].queryset
    assert list(options) == [township_user.township]
    assert other_township.name not in response.content.decode()


def test_township_user_export_holds_no_other_township(
    client_for, township_user, township, other_township
):
    OrganisationFactory(name="本镇组织", township=township)
    OrganisationFactory(name="外镇组织", township=other_township)
    response = client_for(township_user).get(
        reverse("registry:organisation_list"), {"export": "xlsx"}
    )
    names = [row[1] for row in _rows(response)[1:]]
    assert names == ["本镇组织"]


def test_export_has_exactly_what_is_filtered(client_for, staff, township):
    OrganisationFactory(name="甲协会", org_type=OrgType.SOCIAL_GROUP, township=township)
    OrganisationFactory(name="乙中心", org_type=OrgType.PRIVATE_NON_ENTERPRISE, township=township)
    response = client_for(staff).get(
        reverse("registry:organisation_list"), {"org_type": OrgType.SOCIAL_GROUP, "export": "xlsx"}
    )
    rows = _rows(response)
    assert rows[0][:3] == ("统一社会信用代码", "名称", "类型")
    assert [r[1] for r in rows[1:]] == ["甲协会"]


def test_hostile_names_are_neutralised_in_the_export(client_for, staff, township):
    OrganisationFactory(name='=HYPERLINK("http://x")', township=township)
    response = client_for(staff).get(reverse("registry:organisation_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type != "f"
    assert cell.value.startswith("'=")


def test_search_by_name_and_code(client_for, staff):
    target = OrganisationFactory(name="镇海区书法家协会")
    OrganisationFactory(name="别的组织")
    url = reverse("registry:organisation_list")
    assert [o.pk for o in client_for(staff).get(url, {"q": "书法"}).context["page"]] == [target.pk]
    code = target.credit_code[-8:].lower()
    assert [o.pk for o in client_for(staff).get(url, {"q": code}).context["page"]] == [target.pk]


def test_list_query_count_is_constant(client_for, staff, django_assert_max_num_queries):
    OrganisationFactory.create_batch(60)
    client = client_for(staff)
    # session read and save, user, user and group permissions, count, page rows, filter choices
    # (townships, communities), transaction savepoints of the session save
    with django_assert_max_num_queries(12):
        client.get(reverse("registry:organisation_list"), {"per_page": 50})


@pytest.mark.parametrize("tab", ["basic", "reports", "inspections", "lists", "history"])
def test_detail_tabs_query_count_is_constant(client_for, staff, tab, django_assert_max_num_queries):
    organisation = OrganisationFactory()
    for year in range(2016, 2021):
        AnnualReportFactory(organisation=organisation, year=year)
    client = client_for(staff)
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("registry:organisation_detail", args=[organisation.pk]), {"tab": tab}
        )
    assert response.status_code == 200


def test_bad_credit_code_is_refused_at_the_field(client_for, staff, township):
    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        {
            "name": "新组织",
            "credit_code": "51330211MJ0000019X",
            "org_type": OrgType.SOCIAL_GROUP,
            "registration_mode": "direct",
            "sector": "charity",
            "township": township.pk,
            "registered_on": "2019-01-01",
            "status": "normal",
        },
    )
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert not Organisation.objects.filter(name="新组织").exists()


def test_full_width_lower_case_code_is_normalised(client_for, staff, township):
    from registry.validators import make_credit_code

    code = make_credit_code("1", "330211", "MJ123456")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        {
            "name": "全角组织",
            "credit_code": f" {full_width} ",
            "org_type": OrgType.SOCIAL_GROUP,
            "registration_mode": "direct",
            "sector": "charity",
            "township": township.pk,
            "registered_on": "2019-01-01",
            "status": "normal",
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="全角组织").credit_code == code


def test_township_user_files_a_community_organisation_in_their_township(client_for, township_user):
    township = township_user.township
    community = community_of(township)
    response = client_for(township_user).post(
        reverse("registry:organisation_create"),
        {
            "name": "睦邻互助会",
            "sector": "community_service",
            "community": community.pk,
            "registered_on": "2020-03-01",
            "status": "normal",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="睦邻互助会")
    assert organisation.org_type == OrgType.COMMUNITY and organisation.registration_mode == "filed"
    assert organisation.township == township and organisation.credit_code == ""


def test_township_user_cannot_file_in_another_townships_community(
    client_for, township_user, other_township
):
    community = community_of(other_township)
    response = client_for(township_user).post(
        reverse("registry:organisation_create"),
        {
            "name": "越界组织",
            "sector": "community_service",
            "community": community.pk,
            "registered_on": "2020-03-01",
            "status": "normal",
        },
    )
    assert "community" in response.context["form"].errors
    assert not Organisation.objects.filter(name="越界组织").exists()


def test_township_user_cannot_edit_a_legal_organisation(client_for, township_user):
    organisation = OrganisationFactory(township=township_user.township)
    response = client_for(township_user).get(
        reverse("registry:organisation_edit", args=[organisation.pk])
    )
    assert response.status_code == 403


def test_township_user_edits_own_community_organisation(client_for, township_user):
    organisation = OrganisationFactory(
        org_type=OrgType.COMMUNITY,
        township=township_user.township,
        community=community_of(township_user.township),
    )
    response = client_for(township_user).post(
        reverse("registry:organisation_edit", args=[organisation.pk]),
        {
            "name": "改名后",
            "sector": "community_service",
            "community": organisation.community_id,
            "registered_on": "2015-03-01",
            "status": "normal",
            "version": organisation.version,
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "改名后" and organisation.version == 2


def _edit_payload(organisation, **changes):
    data = {
        "name": organisation.name,
        "credit_code": organisation.credit_code,
        "org_type": organisation.org_type,
        "registration_mode": organisation.registration_mode,
        "sector": organisation.sector,
        "township": organisation.township_id,
        "registered_on": organisation.registered_on.isoformat(),
        "status": organisation.status,
        "legal_representative": organisation.legal_representative,
        "version": organisation.version,
    }
    data.update(changes)
    return data


def test_stale_edit_is_refused_and_names_what_changed(client_for, staff):
    organisation = OrganisationFactory()
    opened = _edit_payload(organisation, legal_representative="李四")
    Organisation.objects.filter(pk=organisation.pk).update(legal_representative="王五", version=2)
    response = client_for(staff).post(
        reverse("registry:organisation_edit", args=[organisation.pk]), opened
    )
    assert response.status_code == 200
    message = str(list(response.context["messages"])[0])
    assert "法定代表人" in message or "legal representative" in message
    organisation.refresh_from_db()
    assert organisation.legal_representative == "王五"


def test_every_change_is_in_the_audit_log_and_the_history_tab(client_for, staff):
    organisation = OrganisationFactory()
    client = client_for(staff)
    client.post(
        reverse("registry:organisation_edit", args=[organisation.pk]),
        _edit_payload(organisation, legal_representative="赵六"),
        REMOTE_ADDR="10.9.8.7",
    )
    entry = LogEntry.objects.get_for_object(organisation).latest("timestamp")
    assert entry.actor == staff and entry.remote_addr == "10.9.8.7"
    assert entry.changes_dict["legal_representative"][1] == "赵六"
    response = client.get(
        reverse("registry:organisation_detail", args=[organisation.pk]), {"tab": "history"}
    )
    assert "赵六" in response.content.decode()


def test_dual_management_needs_a_supervising_unit(client_for, staff, township):
    from registry.validators import make_credit_code

    response = client_for(staff).post(
        reverse("registry:organisation_create"),
        {
            "name": "双管组织",
            "credit_code": make_credit_code("1", "330211", "MJ654321"),
            "org_type": OrgType.SOCIAL_GROUP,
            "registration_mode": "dual",
            "sector": "other",
            "township": township.pk,
            "registered_on": "2019-01-01",
            "status": "normal",
        },
    )
    assert "supervising_unit" in response.context["form"].errors


def test_legal_on_follows_the_definition():
    date = datetime.date(2018, 6, 30)
    counted = OrganisationFactory(registered_on=date)
    OrganisationFactory(registered_on=date + datetime.timedelta(days=1))
    OrganisationFactory(
        registered_on=datetime.date(2010, 1, 1), dissolved_on=date, status="deregistered"
    )
    later = OrganisationFactory(
        registered_on=datetime.date(2010, 1, 1),
        dissolved_on=date + datetime.timedelta(days=1),
        status="deregistered",
    )
    OrganisationFactory(org_type=OrgType.COMMUNITY, registered_on=datetime.date(2010, 1, 1))
    assert set(Organisation.objects.legal_on(date)) == {counted, later}


def test_an_expired_grade_is_shown_as_expired_and_not_found_by_the_grade_filter(client_for, staff):
    """A grade holds five years from publication; after that the register shows it as expired
    and the grade filter (like the public one) no longer finds the organisation under it."""
    today = datetime.date.today()
    current = OrganisationFactory(
        name="有效等级组织", grade="4A", grade_expires_on=today + datetime.timedelta(days=30)
    )
    expired = OrganisationFactory(
        name="过期等级组织", grade="4A", grade_expires_on=today - datetime.timedelta(days=1)
    )
    client = client_for(staff)
    listed = client.get(reverse("registry:organisation_list"), {"grade": "4A"}).content.decode()
    assert current.name in listed and expired.name not in listed
    everything = client.get(reverse("registry:organisation_list"), {"q": "等级组织"})
    html = everything.content.decode()
    assert "4A 已过期" in html and html.count("4A 已过期") == 1
    page = client.get(reverse("registry:organisation_detail", args=[expired.pk])).content.decode()
    assert "4A 已过期" in page and 'text-bg-primary">4A<' not in page
    page = client.get(reverse("registry:organisation_detail", args=[current.pk])).content.decode()
    assert 'text-bg-primary">4A<' in page and "已过期" not in page


def _select(page: str, name: str) -> str:
    return re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)


def test_village_filter_groups_villages_by_township_within_the_users_scope(
    client_for, staff, township_user, township, other_township
):
    from registry.models import Community

    village = community_of(township)
    here = OrganisationFactory(name="本村组织", township=township, community=village)
    OrganisationFactory(name="别村组织", township=township)
    url = reverse("registry:organisation_list")
    response = client_for(staff).get(url, {"community": village.pk})
    assert [o.name for o in response.context["page"]] == [here.name]
    select = _select(response.content.decode(), "community")
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _options in groups] == [
        t.name for t in type(township).objects.order_by("order", "code")
    ]
    for label, options in groups:
        names = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', options)
        expected = Community.objects.filter(township__name=label).order_by("code")
        assert names == [c.name for c in expected]
    assert f'<option value="{village.pk}" selected>{village.name}</option>' in select
    assert select.index('<option value="">') < select.index("<optgroup")

    select = _select(client_for(township_user).get(url).content.decode(), "community")
    assert re.findall(r'<optgroup label="([^"]+)">', select) == [township.name]
    assert community_of(other_township).name not in select
    # a village of another township is refused by the filter's own queryset
    response = client_for(township_user).get(url, {"community": community_of(other_township).pk})
    assert "community" in response.context["filter"].form.errors
