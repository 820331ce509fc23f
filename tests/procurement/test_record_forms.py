"""The record forms of procurement: guidance-catalogue services, the recommended catalogue,
excellent teams and brands (create, edit, delete), and the project form's stale-edit answer.

Access first (bureau staff only; township offices and leaders get 403 and change nothing), then
each form: a valid create and edit with its audit entry, each refusal at its field (in the
interface language, Chinese by default), a stale edit, nothing half-saved; then the list pages'
query counts."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from procurement.models import Award, Brand, CatalogueItem, Project, RecommendedEntry
from registry.models import OrgStatus
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    """A message as the page shows it (the interface language is Chinese by default)."""
    with translation.override("zh-hans"):
        return str(message)


def _last_entry(record, action):
    return LogEntry.objects.filter(
        content_type__model=type(record)._meta.model_name, object_id=record.pk, action=action
    ).latest("timestamp")


# ---------------------------------------------------------------------------------------------
# Access


CREATE_URLS = [
    ("procurement:catalogue_item_create", CatalogueItem),
    ("procurement:recommended_create", RecommendedEntry),
    ("procurement:award_create", Award),
    ("procurement:brand_create", Brand),
]


@pytest.mark.parametrize(("name", "model"), CREATE_URLS)
def test_township_office_and_leader_may_not_create(name, model, client_for, township_user, leader):
    organisation = OrganisationFactory()
    data = {
        "year": "2019",
        "code": "B9",
        "name": "不该保存",
        "organisation": organisation.credit_code,
        "kind": "excellent_team",
        "named_on": "2019-06-01",
        "level": "district",
    }
    for user in (township_user, leader):
        client = client_for(user)
        assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse(name), data).status_code == 403
    assert not model.objects.exists()


def test_township_office_and_leader_may_not_edit_or_delete(client_for, township_user, leader):
    award = Award.objects.create(
        year=2019,
        organisation=OrganisationFactory(),
        name="原名",
        named_on=datetime.date(2019, 6, 1),
    )
    for user in (township_user, leader):
        client = client_for(user)
        edit = client.post(reverse("procurement:award_edit", args=[award.pk]), {"name": "改名"})
        assert edit.status_code == 403
        delete = client.post(reverse("procurement:award_delete", args=[award.pk]))
        assert delete.status_code == 403
    award.refresh_from_db()
    assert award.name == "原名"


# ---------------------------------------------------------------------------------------------
# Guidance catalogue


def _item_data(**extra):
    return {"year": "2019", "code": "A1", "name": "居家养老服务", "category": "养老"} | extra


def test_staff_add_a_catalogue_service_and_the_audit_log_names_them(client_for, staff):
    response = client_for(staff).post(reverse("procurement:catalogue_item_create"), _item_data())
    item = CatalogueItem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("procurement:catalogue") + "?year=2019"
    assert (item.year, item.code, item.name, item.version) == (2019, "A1", "居家养老服务", 1)
    entry = _last_entry(item, LogEntry.Action.CREATE)
    assert entry.actor == staff
    assert entry.changes_dict["name"] == ["None", "居家养老服务"]


def test_create_page_takes_the_year_from_the_catalogue_page(client_for, staff):
    page = client_for(staff).get(reverse("procurement:catalogue_item_create"), {"year": "2018"})
    assert page.context["form"]["year"].value() == 2018


def test_a_code_taken_in_the_same_year_is_refused_at_the_code(client_for, staff):
    CatalogueItem.objects.create(year=2019, code="A1", name="已有")
    client = client_for(staff)
    response = client.post(reverse("procurement:catalogue_item_create"), _item_data())
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["code"] == [zh(_("The catalogue of that year already has this code."))]
    assert "__all__" not in form.errors
    assert CatalogueItem.objects.count() == 1
    # The same code in another year is another catalogue.
    other_year = client.post(reverse("procurement:catalogue_item_create"), _item_data(year="2020"))
    assert other_year.status_code == 302


def test_a_catalogue_service_needs_a_name_and_a_year(client_for, staff):
    response = client_for(staff).post(
        reverse("procurement:catalogue_item_create"), _item_data(name="", year="")
    )
    errors = response.context["form"].errors
    assert errors["name"] == [zh(_("This field is required."))]
    assert errors["year"] == [zh(_("This field is required."))]
    assert not CatalogueItem.objects.exists()


def test_staff_correct_a_catalogue_service_and_the_version_counts_up(client_for, staff):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="旧名")
    url = reverse("procurement:catalogue_item_edit", args=[item.pk])
    response = client_for(staff).post(url, _item_data(name="新名", version="1"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.version) == ("新名", 2)
    assert _last_entry(item, LogEntry.Action.UPDATE).changes_dict["name"] == ["旧名", "新名"]


def test_a_stale_catalogue_edit_saves_nothing_and_shows_the_stored_values(client_for, staff):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="旧名")
    client = client_for(staff)
    url = reverse("procurement:catalogue_item_edit", args=[item.pk])
    assert client.post(url, _item_data(name="别人改的", version="1")).status_code == 302
    # A second user still holding version 1 saves over it.
    response = client.post(url, _item_data(name="我改的", version="1"))
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.name, item.version) == ("别人改的", 2)
    form = response.context["form"]
    assert not form.is_bound
    assert form["name"].value() == "别人改的"
    assert form["version"].value() == 2
    message = str(list(response.context["messages"])[-1])
    assert zh(_("service")) in message  # names the field that differs


def test_a_catalogue_service_named_by_projects_is_not_deleted(client_for, staff):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="居家养老")
    ProjectFactory(catalogue_item=item)
    client = client_for(staff)
    url = reverse("procurement:catalogue_item_delete", args=[item.pk])
    assert client.get(url).status_code == 200  # asks first
    response = client.post(url)
    assert response.status_code == 302
    assert CatalogueItem.objects.filter(pk=item.pk).exists()
    message = str(list(client.get(response.url).context["messages"])[0])
    assert message == zh(_("Projects name this catalogue service; it cannot be deleted."))


def test_staff_delete_an_unused_catalogue_service_with_an_audit_entry(client_for, staff):
    item = CatalogueItem.objects.create(year=2019, code="A1", name="居家养老")
    pk = item.pk
    response = client_for(staff).post(reverse("procurement:catalogue_item_delete", args=[pk]))
    assert response.status_code == 302
    assert not CatalogueItem.objects.exists()
    entry = LogEntry.objects.get(object_id=pk, action=LogEntry.Action.DELETE)
    assert entry.actor == staff
    assert entry.content_type.model == "catalogueitem"


# ---------------------------------------------------------------------------------------------
# Recommended catalogue


def test_staff_put_an_organisation_on_the_recommended_catalogue_by_its_code(client_for, staff):
    organisation = OrganisationFactory()
    typed = " " + organisation.credit_code.lower() + " "  # normalised like everywhere
    response = client_for(staff).post(
        reverse("procurement:recommended_create"),
        {"year": "2019", "organisation": typed, "services": "养老服务"},
    )
    assert response.status_code == 302
    entry = RecommendedEntry.objects.get()
    assert (entry.organisation, entry.year) == (organisation, 2019)
    assert _last_entry(entry, LogEntry.Action.CREATE).actor == staff


def test_recommended_catalogue_refusals_are_at_the_organisation(client_for, staff):
    organisation = OrganisationFactory()
    gone = OrganisationFactory(
        status=OrgStatus.DEREGISTERED, dissolved_on=datetime.date(2018, 1, 1)
    )
    RecommendedEntry.objects.create(organisation=organisation, year=2019)
    client = client_for(staff)
    url = reverse("procurement:recommended_create")

    def error(code):
        response = client.post(url, {"year": "2019", "organisation": code})
        assert response.status_code == 200
        return response.context["form"].errors["organisation"]

    assert error("91330211MJ9999999X") == [
        zh(_("No organisation you may see has this credit code."))
    ]
    assert error(gone.credit_code) == [
        zh(_("Only a registered organisation goes on the recommended catalogue."))
    ]
    assert error(organisation.credit_code) == [
        zh(_("This organisation is already on that year's recommended catalogue."))
    ]
    assert RecommendedEntry.objects.count() == 1


def test_staff_edit_and_delete_a_recommended_entry(client_for, staff):
    entry = RecommendedEntry.objects.create(organisation=OrganisationFactory(), year=2019)
    client = client_for(staff)
    edit = client.get(reverse("procurement:recommended_edit", args=[entry.pk]))
    assert edit.context["form"]["organisation"].value() == entry.organisation.credit_code
    response = client.post(
        reverse("procurement:recommended_edit", args=[entry.pk]),
        {
            "year": "2020",
            "organisation": entry.organisation.credit_code,
            "services": "助残",
            "version": "1",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.year, entry.services, entry.version) == (2020, "助残", 2)
    client.post(reverse("procurement:recommended_delete", args=[entry.pk]))
    assert not RecommendedEntry.objects.exists()


# ---------------------------------------------------------------------------------------------
# Excellent teams


def test_an_excellent_team_takes_the_year_it_was_named(client_for, staff):
    organisation = OrganisationFactory()
    response = client_for(staff).post(
        reverse("procurement:award_create"),
        {
            "kind": "excellent_team",
            "name": "夕阳红志愿队",
            "organisation": organisation.credit_code,
            "named_on": "2019-12-20",
            "year": "",
        },
    )
    assert response.status_code == 302
    award = Award.objects.get()
    assert (award.year, award.organisation, award.name) == (2019, organisation, "夕阳红志愿队")
    assert _last_entry(award, LogEntry.Action.CREATE).actor == staff


def test_a_team_named_twice_in_a_year_is_refused_at_the_name(client_for, staff):
    organisation = OrganisationFactory()
    Award.objects.create(
        year=2019, organisation=organisation, name="夕阳红", named_on=datetime.date(2019, 5, 1)
    )
    response = client_for(staff).post(
        reverse("procurement:award_create"),
        {
            "kind": "excellent_team",
            "name": "夕阳红",
            "organisation": organisation.credit_code,
            "named_on": "2019-12-20",
        },
    )
    errors = response.context["form"].errors
    assert errors["name"] == [zh(_("A team of this name is already named that year."))]
    assert "__all__" not in errors
    assert Award.objects.count() == 1


def test_an_award_without_a_date_or_organisation_is_refused_at_those_fields(client_for, staff):
    response = client_for(staff).post(
        reverse("procurement:award_create"),
        {"kind": "excellent_team", "name": "某队", "organisation": "", "named_on": "2019-13-01"},
    )
    errors = response.context["form"].errors
    assert errors["organisation"] == [zh(_("This field is required."))]
    assert errors["named_on"] == [zh(_("Enter a valid date."))]
    assert not Award.objects.exists()


def test_staff_rename_a_team_and_delete_it(client_for, staff):
    organisation = OrganisationFactory()
    award = Award.objects.create(
        year=2019, organisation=organisation, name="旧队名", named_on=datetime.date(2019, 5, 1)
    )
    client = client_for(staff)
    data = {
        "kind": "excellent_team",
        "name": "新队名",
        "organisation": organisation.credit_code,
        "named_on": "2019-05-01",
        "year": "2019",
        "version": "1",
    }
    assert client.post(reverse("procurement:award_edit", args=[award.pk]), data).status_code == 302
    award.refresh_from_db()
    assert (award.name, award.version) == ("新队名", 2)
    assert _last_entry(award, LogEntry.Action.UPDATE).changes_dict["name"] == ["旧队名", "新队名"]
    client.post(reverse("procurement:award_delete", args=[award.pk]))
    assert not Award.objects.exists()
    assert LogEntry.objects.filter(object_id=award.pk, action=LogEntry.Action.DELETE).exists()


# ---------------------------------------------------------------------------------------------
# Brands


def _brand_data(**extra):
    return {"name": "邻里守望", "level": "district", "named_on": "2019-09-01"} | extra


def test_staff_name_a_district_brand_behind_a_project(client_for, staff, township):
    project = ProjectFactory(code="ZH-2019-00007")
    response = client_for(staff).post(
        reverse("procurement:brand_create"),
        _brand_data(township=township.pk, project=" ZH-2019-00007 ", organisation=""),
    )
    assert response.status_code == 302
    brand = Brand.objects.get()
    # A district brand belongs to no township; the year is the year it was named.
    assert (brand.project, brand.township, brand.year) == (project, None, 2019)
    assert _last_entry(brand, LogEntry.Action.CREATE).actor == staff


def test_brand_refusals_are_at_their_fields(client_for, staff):
    Brand.objects.create(
        name="邻里守望", level="district", named_on=datetime.date(2018, 1, 1), year=2018
    )
    client = client_for(staff)
    url = reverse("procurement:brand_create")
    taken = client.post(url, _brand_data()).context["form"].errors
    assert taken["name"] == [zh(_("A brand of this name is already named at this level."))]
    no_township = client.post(url, _brand_data(name="新品牌", level="township")).context["form"]
    assert no_township.errors["township"] == [zh(_("A township-level brand needs its township."))]
    unknown = client.post(url, _brand_data(name="新品牌", project="ZH-0000")).context["form"]
    assert unknown.errors["project"] == [zh(_("No project you may see has this number."))]
    assert Brand.objects.count() == 1


def test_staff_edit_a_brand_showing_its_project_number(client_for, staff, township):
    project = ProjectFactory(code="ZH-2019-00008")
    brand = Brand.objects.create(
        name="老品牌",
        level="township",
        township=township,
        project=project,
        named_on=datetime.date(2019, 1, 1),
        year=2019,
    )
    client = client_for(staff)
    url = reverse("procurement:brand_edit", args=[brand.pk])
    assert client.get(url).context["form"]["project"].value() == "ZH-2019-00008"
    data = _brand_data(
        name="新品牌", level="township", township=township.pk, project="", version="1"
    )
    assert client.post(url, data).status_code == 302
    brand.refresh_from_db()
    assert (brand.name, brand.project, brand.version) == ("新品牌", None, 2)


# ---------------------------------------------------------------------------------------------
# Projects: the edit form answers a stale edit with the stored values


def test_a_stale_project_edit_saves_nothing_and_shows_the_stored_values(client_for, staff):
    project = ProjectFactory(name="原名")
    client = client_for(staff)
    url = reverse("procurement:project_edit", args=[project.pk])
    data = {
        "channel": "purchase",
        "name": "别人改的",
        "buyer": "区民政局",
        "organisation": project.organisation.credit_code,
        "year": "2019",
        "budget": "50000",
        "contract_amount": "48000",
        "signed_on": "2019-03-01",
        "starts_on": "2019-03-01",
        "ends_on": "2019-12-31",
        "version": "1",
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, data | {"name": "我改的"})
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.name, project.version) == ("别人改的", 2)
    assert response.context["form"]["version"].value() == 2
    assert Project.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Query counts of the list pages do not grow with their rows


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _awards_and_brands(n, offset):
    for i in range(n):
        organisation = OrganisationFactory()
        Award.objects.create(
            year=2019,
            organisation=organisation,
            name=f"团队{offset + i}",
            named_on=datetime.date(2019, 5, 1),
        )
        Brand.objects.create(
            name=f"品牌{offset + i}",
            level="district",
            organisation=organisation,
            project=ProjectFactory(organisation=organisation),
            named_on=datetime.date(2019, 5, 1),
            year=2019,
        )
        RecommendedEntry.objects.create(organisation=organisation, year=2019)
        CatalogueItem.objects.create(year=2019, code=f"C{offset + i}", name=f"服务{offset + i}")


@pytest.mark.parametrize(
    ("name", "pinned"),
    [
        # session, user, (2FA gates), menu, filter choices, count, page, per-year, ...
        ("procurement:award_list", 12),
        ("procurement:brand_list", 12),
        # years (2 queries), catalogue items with project counts, recommended entries
        ("procurement:catalogue", 12),
    ],
)
def test_list_pages_query_count_does_not_grow(
    name, pinned, client_for, staff, django_assert_max_num_queries
):
    client = client_for(staff)
    url = reverse(name)
    _awards_and_brands(2, 0)
    few = _queries(client, url)
    _awards_and_brands(10, 100)
    assert _queries(client, url) == few
    with django_assert_max_num_queries(pinned):
        client.get(url)


def test_the_project_form_takes_the_organisation_by_credit_code(client_for, staff):
    organisation = OrganisationFactory()
    client = client_for(staff)
    # From the organisation's projects tab: the code is filled in.
    page = client.get(reverse("procurement:project_create"), {"organisation": organisation.pk})
    assert page.context["form"]["organisation"].value() == organisation.credit_code
    data = {
        "channel": "venture",
        "name": "助老服务",
        "buyer": "区民政局",
        "organisation": "91330211MJ0000000X",
        "year": "2019",
        "budget": "10000",
        "starts_on": "2019-03-01",
        "ends_on": "2019-12-31",
    }
    refused = client.post(reverse("procurement:project_create"), data)
    assert refused.context["form"].errors["organisation"] == [
        zh(_("No organisation you may see has this credit code."))
    ]
    assert not Project.objects.exists()
    created = client.post(
        reverse("procurement:project_create"),
        data | {"organisation": organisation.credit_code.lower()},
    )
    assert created.status_code == 302
    assert Project.objects.get().organisation == organisation
