"""Writes on party building. Each is atomic, validates with ``full_clean()`` before saving, and is
the one path used by the pages, the Excel import's rules and the demo's checks."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation

from .models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)

PARTY_ORGANISATION_FIELDS = (
    "name",
    "kind",
    "township",
    "established_on",
    "dissolved_on",
    "secretary",
)
TRAINING_FIELDS = ("kind", "level", "township", "held_on", "title", "organiser", "attendees")


class StaleEdit(ValidationError):
    pass


def check_coverage(*, kind: str, township_id: int | None, organisations: Iterable) -> None:
    """The organisations a party organisation covers: exactly one when it is set up alone
    (单独组建), at least two when set up jointly (联合组建, 《关于加强社会组织党的建设工作的意见
    (试行)》: 对规模较小、党员人数不足3名的社会组织可联合建立党组织), and all of its township,
    whose party committee it answers to. ``organisations`` need ``township_id`` only."""
    organisations = list(organisations)
    if kind == PartyOrganisation.Kind.SINGLE and len(organisations) != 1:
        raise ValidationError(
            {
                "organisations": _(
                    "A party organisation set up alone covers exactly one organisation."
                )
            }
        )
    if kind == PartyOrganisation.Kind.JOINT and len(organisations) < 2:
        raise ValidationError(
            {"organisations": _("A joint party organisation covers at least two organisations.")}
        )
    if township_id is not None and any(o.township_id != township_id for o in organisations):
        message = _("Every organisation covered must be in the party organisation's township.")
        raise ValidationError({"organisations": message})


def _bump(instance, expected_version: int | None, message) -> None:
    if expected_version is not None and instance.version != expected_version:
        raise StaleEdit(message)
    instance.version += 1


@transaction.atomic
def party_organisation_create(
    *, data: dict, organisations: list[Organisation]
) -> PartyOrganisation:
    """Record a party organisation and the organisations it covers."""
    party = PartyOrganisation(**{k: v for k, v in data.items() if k in PARTY_ORGANISATION_FIELDS})
    party.full_clean()
    check_coverage(kind=party.kind, township_id=party.township_id, organisations=organisations)
    party.save()
    party.organisations.set(organisations)
    return party


@transaction.atomic
def party_organisation_update(
    *,
    party_organisation: PartyOrganisation,
    data: dict,
    organisations: list[Organisation],
    expected_version: int | None,
) -> PartyOrganisation:
    """Change a party organisation's facts and coverage; refuses an edit based on an outdated
    version."""
    current = PartyOrganisation.objects.select_for_update().get(pk=party_organisation.pk)
    stale = _("Someone else saved this party organisation after you opened it; nothing saved.")
    _bump(current, expected_version, stale)
    for name, value in data.items():
        if name in PARTY_ORGANISATION_FIELDS:
            setattr(current, name, value)
    current.full_clean()
    check_coverage(kind=current.kind, township_id=current.township_id, organisations=organisations)
    current.save()
    current.organisations.set(organisations)
    return current


def _check_period(starts_on: datetime.date | None, ends_on: datetime.date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The assignment cannot end before it starts.")})


@transaction.atomic
def instructor_assign(
    *,
    organisation: Organisation,
    instructor: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
) -> InstructorAssignment:
    """Assign a party-building instructor (党建指导员) to an organisation from a date."""
    _check_period(starts_on, ends_on)
    assignment = InstructorAssignment(
        organisation=organisation, instructor=instructor, starts_on=starts_on, ends_on=ends_on
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def instructor_assignment_end(
    *, assignment: InstructorAssignment, ends_on: datetime.date
) -> InstructorAssignment:
    """End an open assignment on a date (its last day), not before it started."""
    current = InstructorAssignment.objects.select_for_update().get(pk=assignment.pk)
    if current.ends_on is not None:
        raise ValidationError(_("This assignment has already ended."))
    _check_period(current.starts_on, ends_on)
    current.ends_on = ends_on
    current.full_clean()
    current.save()
    return current


def _save(instance, data: dict, fields: Iterable[str]):
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])
    instance.full_clean()
    instance.save()
    return instance


SITE_FIELDS = ("organisation", "year", "named_on", "name")
CENTRE_FIELDS = ("name", "level", "township", "state", "opened_on")


@transaction.atomic
def demonstration_site_save(
    *, site: DemonstrationSite | None = None, data: dict
) -> DemonstrationSite:
    """Name (or correct) a party-building demonstration site; the year defaults to the year it
    was named (the plan counts them per year, 三(一)2)."""
    site = site or DemonstrationSite()
    if data.get("named_on") and not data.get("year"):
        data = {**data, "year": data["named_on"].year}
    return _save(site, data, SITE_FIELDS)


@transaction.atomic
def service_centre_save(
    *, centre: PartyServiceCentre | None = None, data: dict
) -> PartyServiceCentre:
    """Record (or update) a party-mass service centre; a working one needs its opening date."""
    return _save(centre or PartyServiceCentre(), data, CENTRE_FIELDS)


@transaction.atomic
def training_create(*, data: dict) -> Training:
    """Record a training or study class."""
    return _save(Training(), data, TRAINING_FIELDS)


@transaction.atomic
def training_update(*, training: Training, data: dict, expected_version: int | None) -> Training:
    """Correct a training; refuses an edit based on an outdated version."""
    current = Training.objects.select_for_update().get(pk=training.pk)
    stale = _("Someone else saved this training after you opened it; nothing saved.")
    _bump(current, expected_version, stale)
    return _save(current, data, TRAINING_FIELDS)


@transaction.atomic
def enrolment_add(
    *, training: Training, organisation: Organisation, person: str
) -> TrainingEnrolment:
    """Enrol an organisation's representative in a study class (研修班, plan 三(四)3)."""
    if training.kind != Training.Kind.STUDY_CLASS:
        raise ValidationError(_("Only a study class has enrolled representatives."))
    enrolment = TrainingEnrolment(training=training, organisation=organisation, person=person)
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_remove(*, enrolment: TrainingEnrolment) -> None:
    """Take a representative off a study class."""
    enrolment.delete()
