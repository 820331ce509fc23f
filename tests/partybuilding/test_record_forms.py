"""The record forms of party building: party organisations (with the organisations they cover),
instructor assignments, demonstration sites, party-mass service centres, trainings and the
study class's enrolments.

Access first (bureau staff only; township offices and leaders get 403 and change nothing), then
each form: a valid create and edit with its audit entry, each refusal at its field (in the
interface language, Chinese by default), stale edits, nothing half-saved; then query counts."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from partybuilding.models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)
from tests.factories import OrganisationFactory, TrainingFactory

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    """A message as the page shows it (the interface language is Chinese by default)."""
    with translation.override("zh-hans"):
        return str(message)


def _entries(record, action):
    return LogEntry.objects.filter(
        content_type__model=type(record)._meta.model_name, object_id=record.pk, action=action
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


# ---------------------------------------------------------------------------------------------
# Access


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("partybuilding:party_organisation_create", PartyOrganisation),
        ("partybuilding:site_create", DemonstrationSite),
        ("partybuilding:centre_create", PartyServiceCentre),
        ("partybuilding:training_create", Training),
    ],
)
def test_township_office_and_leader_may_not_create(
    name, model, client_for, township_user, leader, township
):
    organisation = OrganisationFactory(township=township)
    data = {
        "name": "不该保存",
        "title": "不该保存",
        "kind": "single",
        "level": "township",
        "township": township.pk,
        "state": "planned",
        "organisations": organisation.credit_code,
        "organisation": organisation.credit_code,
        "established_on": "2019-01-01",
        "named_on": "2019-01-01",
        "held_on": "2019-01-01",
        "organiser": "镇",
    }
    for user in (township_user, leader):
        client = client_for(user)
        assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse(name), data).status_code == 403
    assert not model.objects.exists()


def test_township_office_and_leader_may_not_assign_enrol_or_edit(
    client_for, township_user, leader, township
):
    organisation = OrganisationFactory(township=township)
    study = TrainingFactory(kind="study_class", level="township", township=township)
    for user in (township_user, leader):
        client = client_for(user)
        assign = reverse("partybuilding:instructor_assign", args=[organisation.pk])
        assert (
            client.post(assign, {"instructor": "王", "starts_on": "2019-01-01"}).status_code == 403
        )
        enrol = reverse("partybuilding:enrolment_add", args=[study.pk])
        data = {"organisation": organisation.credit_code, "person": "李"}
        assert client.post(enrol, data).status_code == 403
        edit = reverse("partybuilding:training_edit", args=[study.pk])
        assert client.post(edit, {"title": "改名"}).status_code == 403
    assert not InstructorAssignment.objects.exists()
    assert not TrainingEnrolment.objects.exists()
    study.refresh_from_db()
    assert study.title != "改名"


# ---------------------------------------------------------------------------------------------
# Party organisations


def _party_data(township, codes, **extra):
    return {
        "name": "联合党支部",
        "kind": "joint",
        "township": township.pk,
        "established_on": "2019-03-01",
        "secretary": "王书记",
        "organisations": codes,
    } | extra


def test_staff_set_up_a_joint_party_organisation_and_coverage_is_audited(
    client_for, staff, township
):
    a, b = OrganisationFactory(township=township), OrganisationFactory(township=township)
    codes = f"{a.credit_code.lower()}；{b.credit_code}\n{a.credit_code}"  # separators, repeats
    response = client_for(staff).post(
        reverse("partybuilding:party_organisation_create"), _party_data(township, codes)
    )
    assert response.status_code == 302
    party = PartyOrganisation.objects.get()
    assert set(party.organisations.all()) == {a, b}
    created = _entries(party, LogEntry.Action.CREATE).get()
    assert created.actor == staff
    coverage = _entries(party, LogEntry.Action.UPDATE).get()
    assert coverage.actor == staff
    assert coverage.changes_dict["organisations"] == [
        "None",
        "；".join(sorted([a.credit_code, b.credit_code])),
    ]


def test_party_organisation_refusals_are_at_their_fields(
    client_for, staff, township, other_township
):
    a = OrganisationFactory(township=township)
    elsewhere = OrganisationFactory(township=other_township)
    client = client_for(staff)
    url = reverse("partybuilding:party_organisation_create")

    def errors(**data):
        response = client.post(url, data)
        assert response.status_code == 200
        return response.context["form"].errors

    assert errors(**_party_data(township, a.credit_code))["organisations"] == [
        zh(_("A joint party organisation covers at least two organisations."))
    ]
    assert errors(**_party_data(township, f"{a.credit_code} 91330211MJ0000000X"))[
        "organisations"
    ] == [
        zh(_("No organisation you may see has the credit code %(codes)s."))
        % {"codes": "91330211MJ0000000X"}
    ]
    assert errors(**_party_data(township, f"{a.credit_code},{elsewhere.credit_code}"))[
        "organisations"
    ] == [zh(_("Every organisation covered must be in the party organisation's township."))]
    dissolved_first = _party_data(township, a.credit_code, kind="single", dissolved_on="2019-01-01")
    assert errors(**dissolved_first)["dissolved_on"] == [
        zh(_("Dissolved before it was established."))
    ]
    assert errors(**_party_data(township, "", name=""))["name"] == [
        zh(_("This field is required."))
    ]
    assert not PartyOrganisation.objects.exists()
    assert not LogEntry.objects.filter(content_type__model="partyorganisation").exists()


def test_staff_change_coverage_and_a_stale_edit_is_refused(client_for, staff, township):
    a, b, c = (OrganisationFactory(township=township) for _i in range(3))
    party = PartyOrganisation.objects.create(
        name="联合党支部", kind="joint", township=township, established_on=datetime.date(2019, 1, 1)
    )
    party.organisations.set([a, b])
    client = client_for(staff)
    url = reverse("partybuilding:party_organisation_edit", args=[party.pk])
    shown = client.get(url).context["form"]["organisations"].value()
    assert shown.split("\n") == sorted([a.credit_code, b.credit_code])
    data = _party_data(township, f"{a.credit_code} {c.credit_code}", version="1")
    assert client.post(url, data).status_code == 302
    party.refresh_from_db()
    assert set(party.organisations.all()) == {a, c}
    assert party.version == 2
    change = _entries(party, LogEntry.Action.UPDATE).latest("timestamp")
    assert change.changes_dict["organisations"] == [
        "；".join(sorted([a.credit_code, b.credit_code])),
        "；".join(sorted([a.credit_code, c.credit_code])),
    ]
    # Someone who opened version 1 saves b back: refused, nothing changes.
    stale = client.post(url, data | {"organisations": f"{a.credit_code} {b.credit_code}"})
    assert stale.status_code == 200
    assert set(party.organisations.all()) == {a, c}
    assert zh(_("organisations covered")) in _messages(stale)[-1]
    assert stale.context["form"]["version"].value() == 2


# ---------------------------------------------------------------------------------------------
# Instructors


def test_staff_assign_an_instructor_and_end_the_assignment(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    client = client_for(staff)
    response = client.post(
        reverse("partybuilding:instructor_assign", args=[organisation.pk]),
        {"instructor": "王指导员", "starts_on": "2019-01-01"},
    )
    tab = reverse("registry:organisation_detail", args=[organisation.pk]) + "?tab=party"
    assert response.url == tab
    assignment = InstructorAssignment.objects.get()
    assert _entries(assignment, LogEntry.Action.CREATE).get().actor == staff
    end = reverse("partybuilding:instructor_end", args=[assignment.pk])
    refused = client.post(end, {"ends_on": "2018-12-31"})
    assert refused.context["form"].errors["ends_on"] == [
        zh(_("The assignment cannot end before it starts."))
    ]
    assert client.post(end, {"ends_on": "2019-12-31"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.ends_on == datetime.date(2019, 12, 31)
    again = client.post(end, {"ends_on": "2020-01-31"})
    assert again.context["form"].non_field_errors() == [zh(_("This assignment has already ended."))]


def test_an_assignment_needs_an_instructor_and_a_start(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    response = client_for(staff).post(
        reverse("partybuilding:instructor_assign", args=[organisation.pk]),
        {"instructor": "", "starts_on": "", "ends_on": ""},
    )
    errors = response.context["form"].errors
    assert errors["instructor"] == [zh(_("This field is required."))]
    assert errors["starts_on"] == [zh(_("This field is required."))]
    assert not InstructorAssignment.objects.exists()


def test_the_party_tab_offers_assigning_to_staff_only(client_for, staff, leader, township):
    organisation = OrganisationFactory(township=township)
    url = reverse("registry:organisation_detail", args=[organisation.pk]) + "?tab=party"
    assign = reverse("partybuilding:instructor_assign", args=[organisation.pk])
    assert assign in client_for(staff).get(url).content.decode()
    assert assign not in client_for(leader).get(url).content.decode()


# ---------------------------------------------------------------------------------------------
# Demonstration sites


def test_staff_name_a_site_edit_it_and_delete_it(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    client = client_for(staff)
    data = {"name": "示范点", "organisation": organisation.credit_code, "named_on": "2019-07-01"}
    assert client.post(reverse("partybuilding:site_create"), data).status_code == 302
    site = DemonstrationSite.objects.get()
    assert (site.year, site.organisation) == (2019, organisation)  # the year it was named
    assert _entries(site, LogEntry.Action.CREATE).get().actor == staff
    edit = reverse("partybuilding:site_edit", args=[site.pk])
    assert client.post(edit, data | {"name": "新示范点", "version": "1"}).status_code == 302
    site.refresh_from_db()
    assert (site.name, site.version) == ("新示范点", 2)
    stale = client.post(edit, data | {"name": "旧的", "version": "1"})
    assert stale.status_code == 200
    site.refresh_from_db()
    assert site.name == "新示范点"
    assert client.post(reverse("partybuilding:site_delete", args=[site.pk])).status_code == 302
    assert not DemonstrationSite.objects.exists()
    assert LogEntry.objects.filter(object_id=site.pk, action=LogEntry.Action.DELETE).exists()


def test_a_site_twice_in_a_year_is_refused_at_the_organisation(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    DemonstrationSite.objects.create(
        organisation=organisation, year=2019, named_on=datetime.date(2019, 1, 1), name="已有"
    )
    response = client_for(staff).post(
        reverse("partybuilding:site_create"),
        {"name": "又一个", "organisation": organisation.credit_code, "named_on": "2019-07-01"},
    )
    errors = response.context["form"].errors
    assert errors["organisation"] == [
        zh(_("This organisation is already a demonstration site that year."))
    ]
    assert "__all__" not in errors
    assert DemonstrationSite.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Service centres


def test_staff_record_a_centre_and_its_refusals_are_at_their_fields(client_for, staff, township):
    client = client_for(staff)
    url = reverse("partybuilding:centre_create")
    base = {"name": "镇党群服务中心", "level": "township", "township": township.pk}
    working = client.post(url, base | {"state": "working"}).context["form"].errors
    assert working["opened_on"] == [zh(_("A working centre needs its opening date."))]
    no_township = client.post(url, base | {"state": "planned", "township": ""})
    assert no_township.context["form"].errors["township"] == [
        zh(_("A township centre needs its township."))
    ]
    assert not PartyServiceCentre.objects.exists()
    # A district centre with a township chosen: the township is dropped.
    district = base | {"level": "district", "state": "working", "opened_on": "2018-10-01"}
    assert client.post(url, district).status_code == 302
    centre = PartyServiceCentre.objects.get()
    assert (centre.township, centre.opened_on) == (None, datetime.date(2018, 10, 1))
    assert _entries(centre, LogEntry.Action.CREATE).get().actor == staff
    edit = reverse("partybuilding:centre_edit", args=[centre.pk])
    assert client.post(edit, district | {"name": "区中心", "version": "1"}).status_code == 302
    centre.refresh_from_db()
    assert (centre.name, centre.version) == ("区中心", 2)


# ---------------------------------------------------------------------------------------------
# Trainings and enrolments


def _training_data(**extra):
    return {
        "title": "2019年研修班",
        "kind": "study_class",
        "level": "district",
        "held_on": "2019-05-10",
        "organiser": "区社会组织综合党委",
        "attendees": "15",
    } | extra


def test_staff_record_a_training_and_correct_it(client_for, staff):
    client = client_for(staff)
    response = client.post(reverse("partybuilding:training_create"), _training_data())
    training = Training.objects.get()
    assert response.url == reverse("partybuilding:training_detail", args=[training.pk])
    assert _entries(training, LogEntry.Action.CREATE).get().actor == staff
    edit = reverse("partybuilding:training_edit", args=[training.pk])
    data = _training_data(attendees="18", version="1")
    assert client.post(edit, data).status_code == 302
    training.refresh_from_db()
    assert (training.attendees, training.version) == (18, 2)
    stale = client.post(edit, _training_data(attendees="99", version="1"))
    assert stale.status_code == 200
    training.refresh_from_db()
    assert training.attendees == 18


def test_training_refusals_are_at_their_fields(client_for, staff, township):
    client = client_for(staff)
    url = reverse("partybuilding:training_create")
    errors = client.post(url, _training_data(level="township")).context["form"].errors
    assert errors["township"] == [zh(_("A township training needs its township."))]
    errors = client.post(url, _training_data(attendees="-1", title="")).context["form"].errors
    assert errors["title"] == [zh(_("This field is required."))]
    assert errors["attendees"]
    assert not Training.objects.exists()


def test_staff_enrol_representatives_in_a_study_class(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    study = TrainingFactory(kind="study_class")
    client = client_for(staff)
    url = reverse("partybuilding:enrolment_add", args=[study.pk])
    data = {"organisation": organisation.credit_code, "person": "李代表"}
    assert client.post(url, data).status_code == 302
    enrolment = TrainingEnrolment.objects.get()
    assert _entries(enrolment, LogEntry.Action.CREATE).get().actor == staff
    # Twice: the page again, the message at the person.
    again = client.post(url, data)
    assert again.status_code == 200
    assert again.context["enrolment_form"].errors["person"] == [
        zh(_("This representative is already enrolled."))
    ]
    unknown = client.post(url, {"organisation": "91330211MJ0000000X", "person": "王"})
    assert unknown.context["enrolment_form"].errors["organisation"] == [
        zh(_("No organisation you may see has this credit code."))
    ]
    assert TrainingEnrolment.objects.count() == 1
    remove = reverse("partybuilding:enrolment_remove", args=[study.pk, enrolment.pk])
    assert client.post(remove).status_code == 302
    assert not TrainingEnrolment.objects.exists()


def test_only_a_study_class_takes_enrolments_and_keeps_its_kind(client_for, staff, township):
    organisation = OrganisationFactory(township=township)
    leaders = TrainingFactory(kind="leaders")
    client = client_for(staff)
    response = client.post(
        reverse("partybuilding:enrolment_add", args=[leaders.pk]),
        {"organisation": organisation.credit_code, "person": "李"},
    )
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.context["enrolment_form"] is None  # no form on a page that takes none
    assert _messages(page) == [zh(_("Only a study class has enrolled representatives."))]
    assert not TrainingEnrolment.objects.exists()
    study = TrainingFactory(kind="study_class")
    TrainingEnrolment.objects.create(training=study, organisation=organisation, person="李")
    edit = client.post(
        reverse("partybuilding:training_edit", args=[study.pk]),
        _training_data(kind="leaders", version="1"),
    )
    assert edit.context["form"].errors["kind"] == [
        zh(_("Representatives are enrolled in this study class; remove them first."))
    ]


def test_deleting_a_training_deletes_its_enrolments_with_audit_entries(client_for, staff, township):
    study = TrainingFactory(kind="study_class")
    enrolment = TrainingEnrolment.objects.create(
        training=study, organisation=OrganisationFactory(township=township), person="李"
    )
    client = client_for(staff)
    assert client.get(reverse("partybuilding:training_delete", args=[study.pk])).status_code == 200
    response = client.post(reverse("partybuilding:training_delete", args=[study.pk]))
    assert response.url == reverse("partybuilding:training_list")
    assert not Training.objects.exists()
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE)
    assert {(e.content_type.model, e.object_id) for e in deleted} == {
        ("training", study.pk),
        ("trainingenrolment", enrolment.pk),
    }


# ---------------------------------------------------------------------------------------------
# Query counts of the lists and the training page do not grow with their rows


def _records(n, township, study):
    for i in range(n):
        organisation = OrganisationFactory(township=township)
        InstructorAssignment.objects.create(
            organisation=organisation, instructor=f"指导员{i}", starts_on=datetime.date(2019, 1, 1)
        )
        DemonstrationSite.objects.create(
            organisation=organisation,
            year=2019,
            named_on=datetime.date(2019, 1, 1),
            name=f"示范点{organisation.pk}",
        )
        PartyServiceCentre.objects.create(
            name=f"中心{organisation.pk}", level="township", township=township, state="planned"
        )
        TrainingFactory()
        TrainingEnrolment.objects.create(training=study, organisation=organisation, person="李")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "pinned"),
    [
        # session, user, (2FA gates), menu, filter choices, count, page rows
        ("partybuilding:instructor_list", 12),
        ("partybuilding:site_list", 12),
        ("partybuilding:centre_list", 12),
        ("partybuilding:training_list", 12),
        # the training, its enrolments with organisation and township
        ("partybuilding:training_detail", 10),
    ],
)
def test_list_pages_query_count_does_not_grow(
    name, pinned, client_for, staff, township, django_assert_max_num_queries
):
    study = TrainingFactory(kind="study_class")
    client = client_for(staff)
    url = reverse(name, args=[study.pk]) if name.endswith("detail") else reverse(name)
    _records(2, township, study)
    few = _queries(client, url)
    _records(10, township, study)
    assert _queries(client, url) == few
    with django_assert_max_num_queries(pinned):
        client.get(url)


def test_the_instructor_list_offers_ending_open_assignments_to_staff_only(
    client_for, staff, leader, township
):
    organisation = OrganisationFactory(township=township)
    open_one = InstructorAssignment.objects.create(
        organisation=organisation, instructor="王", starts_on=datetime.date(2019, 1, 1)
    )
    ended = InstructorAssignment.objects.create(
        organisation=organisation,
        instructor="李",
        starts_on=datetime.date(2018, 1, 1),
        ends_on=datetime.date(2018, 12, 31),
    )
    url = reverse("partybuilding:instructor_list")
    page = client_for(staff).get(url).content.decode()
    assert reverse("partybuilding:instructor_end", args=[open_one.pk]) in page
    assert reverse("partybuilding:instructor_end", args=[ended.pk]) not in page
    leader_page = client_for(leader).get(url).content.decode()
    assert reverse("partybuilding:instructor_end", args=[open_one.pk]) not in leader_page
