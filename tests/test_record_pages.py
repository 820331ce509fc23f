"""The simple records' create, edit and delete pages (procurement and party building, declared
with ``zhenhai_so.editing.RecordPages``) as bureau staff see them: each page's title, where its
links lead, whether it offers a delete, where a save and a delete go, and its query count.

Access (who gets 403 or 404) is walked in tests/test_access.py; the forms' refusals in each
app's test_record_forms.py."""

from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


@dataclass
class Pages:
    name: str  # URL names <name>_create, _edit, _delete
    record: str  # the record in the access walk's objects
    create_title: str
    back: tuple[str, tuple]  # the list's URL name and label
    label: str = "name"  # the record's name in the titles
    year_back: bool = False  # the list opens at the record's year
    deletes: bool = True
    detail: str | None = None  # a record with its own page is edited from there
    queries: int = 7  # of the edit page: 6 and what its form shows (see the test)


PAGES = [
    Pages(
        "procurement:catalogue_item",
        "party_building.catalogue_item",
        _("New catalogue service"),
        ("procurement:catalogue", _("Service catalogues")),
        year_back=True,
        queries=6,
    ),
    Pages(
        "procurement:recommended",
        "party_building.recommended",
        _("Add to the recommended catalogue"),
        ("procurement:catalogue", _("Service catalogues")),
        label="organisation.name",
        year_back=True,
    ),
    Pages(
        "procurement:award",
        "party_building.award",
        _("Name an excellent team"),
        ("procurement:award_list", _("Excellent teams")),
    ),
    Pages(
        "procurement:brand",
        "party_building.brand",
        _("Name a public-welfare brand"),
        ("procurement:brand_list", _("Public-welfare brands")),
    ),
    Pages(
        "partybuilding:party_organisation",
        "party_building.party",
        _("New party organisation"),
        ("partybuilding:party_organisation_list", _("Party organisations")),
        deletes=False,
        queries=8,
    ),
    Pages(
        "partybuilding:site",
        "party_building.site",
        _("Name a demonstration site"),
        ("partybuilding:site_list", _("Demonstration sites")),
    ),
    Pages(
        "partybuilding:centre",
        "party_building.centre",
        _("New party-mass service centre"),
        ("partybuilding:centre_list", _("Party-mass service centres")),
        deletes=False,
    ),
    Pages(
        "partybuilding:training",
        "training",
        _("New training"),
        ("partybuilding:training_list", _("Trainings")),
        label="title",
        detail="partybuilding:training_detail",
    ),
]


def _get(obj, dotted: str):
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


def _form_data(form) -> dict:
    """What the browser sends back for the form as shown (nothing changed)."""
    data = {}
    for bound in form:
        value = bound.field.prepare_value(bound.value())
        if isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    return data


@pytest.mark.parametrize("pages", PAGES, ids=lambda p: p.name)
def test_each_record_page_names_the_record_and_leads_back_where_it_belongs(
    pages, client_for, staff, access_objects, django_assert_max_num_queries
):
    client = client_for(staff)
    record = _get(access_objects, pages.record)
    name = zh(_get(record, pages.label))
    list_url = reverse(pages.back[0])
    back_url = f"{list_url}?year={record.year}" if pages.year_back else list_url
    back = (back_url, zh(pages.back[1]))
    detail = (reverse(pages.detail, args=[record.pk]), name) if pages.detail else None
    delete_url = reverse(f"{pages.name}_delete", args=[record.pk]) if pages.deletes else None

    create = client.get(reverse(f"{pages.name}_create"))
    assert create.status_code == 200
    assert create.context["title"] == zh(pages.create_title)
    assert (create.context["back_url"], create.context["back_label"]) == (list_url, back[1])
    assert create.context["delete_url"] is None

    # session, user, the user's permissions (2), the record with what its title names, the unread
    # notifications (base.html); then what the form shows: the organisation's credit code or the
    # township choices (nothing for a catalogue service; a party organisation, its organisations
    # and the townships)
    with django_assert_max_num_queries(pages.queries):
        edit = client.get(reverse(f"{pages.name}_edit", args=[record.pk]))
    assert edit.status_code == 200
    assert edit.context["title"] == zh(_("Edit %(name)s")) % {"name": name}
    assert (edit.context["back_url"], edit.context["back_label"]) == (detail or back)
    assert edit.context["delete_url"] == delete_url
    assert edit.context["form"].instance == record

    saved = client.post(edit.request["PATH_INFO"], _form_data(edit.context["form"]))
    assert saved.status_code == 302, saved.context and saved.context["form"].errors
    assert saved.url == (detail or back)[0]

    if not pages.deletes:
        return
    page = client.get(delete_url)
    assert page.status_code == 200
    assert page.context["title"] == zh(_("Delete %(name)s")) % {"name": name}
    assert (page.context["back_url"], page.context["back_label"]) == back
    assert page.context["record"] == record
    deleted = client.post(delete_url)
    assert deleted.status_code == 302
    assert deleted.url == back_url
    assert not type(record).objects.filter(pk=record.pk).exists()
