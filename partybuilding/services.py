"""Writes on party building. Each is atomic, validates with ``full_clean()`` before saving, and is
the one path used by the pages, the Excel import's rules and the demo's checks."""

import datetime
from collections.abc import Iterable

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation
from zhenhai_so.editing import StaleEdit as StaleEdit  # re-exported: callers catch it here
from zhenhai_so.editing import save_record

from .models import (
    DemonstrationSite,
    InstructorAssignment,
    Level,
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


def _log_coverage(party: PartyOrganisation, before: set[int] | None, after: set[int]) -> None:
    """django-auditlog does not follow many-to-many changes: one entry for the covered
    organisations, as credit codes, the way the import writes it (resources.PartyKind.apply).
    The actor and address come from the audit middleware's context."""
    if before == after:
        return
    codes = dict(
        Organisation.objects.filter(pk__in=(before or set()) | after).values_list(
            "id", "credit_code"
        )
    )

    def listed(ids):
        return "；".join(sorted(codes[i] for i in ids)) if ids is not None else "None"

    LogEntry.objects.log_create(
        party,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"organisations": [listed(before), listed(after)]},
    )


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
    _log_coverage(party, None, {o.pk for o in organisations})
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
    data = {k: v for k, v in data.items() if k in PARTY_ORGANISATION_FIELDS}
    before = set(current.organisations.values_list("pk", flat=True))
    after = {o.pk for o in organisations}
    if expected_version is not None and current.version != expected_version:
        differing = [k for k, v in data.items() if getattr(current, k) != v]
        raise StaleEdit(current=current, fields=differing + ["organisations"] * (before != after))
    current.version += 1
    for name, value in data.items():
        setattr(current, name, value)
    current.full_clean()
    check_coverage(kind=current.kind, township_id=current.township_id, organisations=organisations)
    current.save()
    current.organisations.set(organisations)
    _log_coverage(current, before, after)
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
    current.version += 1
    current.full_clean()
    current.save()
    return current


SITE_FIELDS = ("organisation", "year", "named_on", "name")
CENTRE_FIELDS = ("name", "level", "township", "state", "opened_on")


@transaction.atomic
def demonstration_site_save(
    *, site: DemonstrationSite | None = None, data: dict, expected_version: int | None = None
) -> DemonstrationSite:
    """Name (or correct) a party-building demonstration site; the year defaults to the year it
    was named (the plan counts them per year, 三(一)2)."""
    if data.get("named_on") and not data.get("year"):
        data = {**data, "year": data["named_on"].year}
    return save_record(
        site or DemonstrationSite(),
        data=data,
        fields=SITE_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def demonstration_site_delete(*, site: DemonstrationSite) -> None:
    """Withdraw a site named by mistake."""
    site.delete()


@transaction.atomic
def service_centre_save(
    *,
    centre: PartyServiceCentre | None = None,
    data: dict,
    expected_version: int | None = None,
) -> PartyServiceCentre:
    """Record (or update) a party-mass service centre; a working one needs its opening date."""
    if data.get("level") == Level.DISTRICT:
        data = {**data, "township": None}
    return save_record(
        centre or PartyServiceCentre(),
        data=data,
        fields=CENTRE_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def training_create(*, data: dict) -> Training:
    """Record a training or study class."""
    return save_record(Training(), data=_training_data(data), fields=TRAINING_FIELDS)


@transaction.atomic
def training_update(*, training: Training, data: dict, expected_version: int | None) -> Training:
    """Correct a training; refuses an edit based on an outdated version. A study class with
    enrolled representatives stays a study class."""
    kind = data.get("kind", training.kind)
    if kind != Training.Kind.STUDY_CLASS and training.enrolments.exists():
        raise ValidationError(
            {"kind": _("Representatives are enrolled in this study class; remove them first.")}
        )
    return save_record(
        training,
        data=_training_data(data),
        fields=TRAINING_FIELDS,
        expected_version=expected_version,
    )


def _training_data(data: dict) -> dict:
    if data.get("level") == Level.DISTRICT:
        return {**data, "township": None}
    return data


@transaction.atomic
def training_delete(*, training: Training) -> None:
    """Delete a training recorded by mistake, with its enrolments (each deletion audited)."""
    for enrolment in training.enrolments.all():
        enrolment.delete()
    training.delete()


@transaction.atomic
def enrolment_add(
    *, training: Training, organisation: Organisation, person: str
) -> TrainingEnrolment:
    """Enrol an organisation's representative in a study class (研修班, plan 三(四)3)."""
    if training.kind != Training.Kind.STUDY_CLASS:
        raise ValidationError(_("Only a study class has enrolled representatives."))
    if training.enrolments.filter(organisation=organisation, person=person).exists():
        raise ValidationError({"person": _("This representative is already enrolled.")})
    enrolment = TrainingEnrolment(training=training, organisation=organisation, person=person)
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_remove(*, enrolment: TrainingEnrolment) -> None:
    """Take a representative off a study class."""
    enrolment.delete()
