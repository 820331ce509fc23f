"""Writes on the register. Each is atomic, validates with ``full_clean()`` before saving, and is
the one path used by views, the admin, imports, tasks and commands."""

import datetime
import math
import random
import secrets
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, FilteredRelation, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from .models import (
    AnnualReport,
    ApplicationStep,
    DrawnOrganisation,
    Inspection,
    Inspector,
    ListEntry,
    Organisation,
    OrgStatus,
    OrgType,
    RegistrationApplication,
    RegistrationMode,
    SpotCheckPlan,
    annual_report_due_date,
)


class StaleEdit(Exception):
    """The record changed since the user opened it; ``current`` is what is stored now and
    ``fields`` the fields where it differs from what the user submitted."""

    def __init__(self, current, fields: list[str]):
        super().__init__("stale edit")
        self.current = current
        self.fields = fields


def _apply_versioned(model, instance_pk: int, data: dict, expected_version: int | None):
    """Lock the row, refuse a stale version, apply ``data``, validate, save with version + 1."""
    current = model.objects.select_for_update().get(pk=instance_pk)
    if expected_version is not None and current.version != expected_version:
        differing = [name for name, value in data.items() if getattr(current, name) != value]
        raise StaleEdit(current, differing)
    for name, value in data.items():
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.save()
    return current


# ---------------------------------------------------------------------------------------------
# Organisations


@transaction.atomic
def organisation_create(*, data: dict) -> Organisation:
    """Create an organisation (staff registering directly, or a township filing a community SO)."""
    organisation = Organisation(**data)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, data: dict, expected_version: int | None
) -> Organisation:
    """Change an organisation's facts; refuses a save based on an outdated version."""
    return _apply_versioned(Organisation, organisation.pk, data, expected_version)


# ---------------------------------------------------------------------------------------------
# Registration applications

State = RegistrationApplication.State
Kind = RegistrationApplication.Kind

# Which moves each state allows (the workflow of DESIGN.md).
TRANSITIONS = {
    "submit": ({State.DRAFT, State.RETURNED}, State.SUBMITTED),
    "return": ({State.SUBMITTED}, State.RETURNED),
    "approve": ({State.SUBMITTED}, State.APPROVED),
    "reject": ({State.SUBMITTED}, State.REJECTED),
}

# Facts an application may propose: the organisation's editable fields.
APPLICATION_FIELDS = [
    "name",
    "credit_code",
    "org_type",
    "registration_mode",
    "sector",
    "supervising_unit",
    "township",
    "community",
    "address",
    "legal_representative",
    "phone",
    "capital",
    "registered_on",
    "is_hub",
]


# Facts of an establishment that the bureau fills when it approves (the certificate's date and
# code): not asked of the applicant, required on approval.
APPROVAL_FIELDS = ("registered_on", "credit_code")


class TransitionNotAllowed(ValidationError):
    pass


def submitted_by(application: RegistrationApplication):
    """Who last submitted the application (None before any submission)."""
    step = (
        application.steps.filter(to_state=State.SUBMITTED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return step.actor if step else None


# How each action reads in a message ("cannot be submitted").
ACTION_PARTICIPLES = {
    "submit": gettext_lazy("submitted"),
    "return": gettext_lazy("returned"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
}


def _move(application, action: str, actor, note: str = "") -> None:
    allowed_from, to_state = TRANSITIONS[action]
    if application.state not in allowed_from:
        raise TransitionNotAllowed(
            _("An application in state “%(state)s” cannot be %(action)s."),
            params={
                "state": application.get_state_display(),
                "action": str(ACTION_PARTICIPLES[action]),
            },
            code="transition",
        )
    ApplicationStep.objects.create(
        application=application,
        from_state=application.state,
        to_state=to_state,
        actor=actor,
        note=note,
    )
    application.state = to_state
    application.version += 1


def _serialise(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if value is None:
        return None
    return str(value) if not isinstance(value, bool | int) else value


def application_data(cleaned: dict) -> dict:
    """The JSON-storable form of an organisation form's cleaned data."""
    return {name: _serialise(cleaned.get(name)) for name in APPLICATION_FIELDS if name in cleaned}


def _organisation_values(data: dict) -> dict:
    """Turn stored application data back into model field values."""
    values = {}
    for name, raw in data.items():
        field = Organisation._meta.get_field(name)
        if field.is_relation:
            values[f"{name}_id"] = raw
        elif raw in (None, "") and field.null:
            values[name] = None
        else:
            values[name] = field.to_python(raw)
    return values


@transaction.atomic
def application_save_draft(
    *,
    application: RegistrationApplication | None,
    kind: str,
    actor,
    data: dict,
    township,
    organisation: Organisation | None = None,
    applicant: str = "",
) -> RegistrationApplication:
    """Create or update an application while it is a draft or returned."""
    if application is None:
        application = RegistrationApplication(
            kind=kind, created_by=actor, organisation=organisation
        )
    elif application.state not in (State.DRAFT, State.RETURNED):
        raise TransitionNotAllowed(_("Only a draft or a returned application can be edited."))
    application.data = data
    application.township = township
    application.name = data.get("name") or (organisation.name if organisation else "")
    application.applicant = applicant
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def application_submit(*, application: RegistrationApplication, actor) -> RegistrationApplication:
    """Submit (or resubmit after a return) for review; the proposed facts must be valid now.
    Bureau staff are told that it waits for them."""
    _validate_proposal(application)
    _move(application, "submit", actor)
    application.save()
    notify(
        users=User.objects.filter(role=Role.BUREAU_STAFF).exclude(pk=actor.pk),
        kind=Notification.Kind.REVIEW,
        title=_("Application waiting for review: %(name)s") % {"name": application.name},
        link=reverse("registry:application_detail", args=[application.pk]),
    )
    return application


@transaction.atomic
def application_return(*, application: RegistrationApplication, actor, reason: str):
    """Send back to the applicant with the reason; what was entered is kept."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the application is returned.")})
    _move(application, "return", actor, reason)
    application.reason = reason
    application.save()
    if application.created_by_id and application.created_by_id != actor.pk:
        notify(
            users=[application.created_by],
            kind=Notification.Kind.RETURNED,
            title=_("Application returned: %(name)s") % {"name": application.name},
            body=reason,
            link=reverse("registry:application_detail", args=[application.pk]),
        )
    return application


@transaction.atomic
def application_reject(*, application: RegistrationApplication, actor, reason: str):
    """Refuse for good, with the reason."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the application is rejected.")})
    _move(application, "reject", actor, reason)
    application.reason = reason
    application.save()
    return application


def _validate_proposal(application, *, approving: bool = False) -> Organisation:
    """The organisation as it would be after approval, validated (not saved). On submission of
    an establishment the facts filled at approval (``APPROVAL_FIELDS``) may still be empty."""
    exclude = []
    if application.kind == Kind.ESTABLISH:
        organisation = Organisation(**_organisation_values(application.data))
    else:
        organisation = Organisation.objects.get(pk=application.organisation_id)
        if application.kind == Kind.CHANGE:
            for name, value in _organisation_values(application.data).items():
                setattr(organisation, name, value)
        else:
            dissolved = application.data.get("dissolved_on")
            organisation.dissolved_on = (
                datetime.date.fromisoformat(dissolved) if dissolved else None
            )
            organisation.status = OrgStatus.DEREGISTERED
    if application.kind == Kind.ESTABLISH and not approving:
        exclude = [name for name in APPROVAL_FIELDS if getattr(organisation, name) in (None, "")]
    try:
        organisation.full_clean(exclude=exclude)
    except ValidationError as error:
        # Model.clean() checks across fields and may still speak of an excluded one.
        remaining = {
            name: errors for name, errors in error.error_dict.items() if name not in exclude
        }
        if remaining:
            raise ValidationError(remaining) from None
    return organisation


@transaction.atomic
def application_approve(
    *,
    application: RegistrationApplication,
    actor,
    note: str = "",
    facts: dict | None = None,
):
    """Approve and apply: establishment creates the organisation, a change applies the proposed
    facts, a deregistration dissolves the organisation on the stated date. ``facts`` carries
    what the approver fills in (``APPROVAL_FIELDS``: registration date, credit code). The one
    who submitted the application cannot approve it (four eyes)."""
    submitter = submitted_by(application)
    if submitter is not None and actor is not None and submitter.pk == actor.pk:
        raise ValidationError(
            _("You submitted this application: another member of staff approves it."),
            code="same_person",
        )
    if application.kind == Kind.ESTABLISH and facts:
        given = {k: v for k, v in facts.items() if k in APPROVAL_FIELDS and v not in (None, "")}
        application.data = {**application.data, **application_data(given)}
    organisation = _validate_proposal(application, approving=True)
    _move(application, "approve", actor, note)
    if application.kind == Kind.ESTABLISH:
        organisation.save()
        application.organisation = organisation
    else:
        organisation.version += 1
        organisation.save()
    application.save()
    return application


# ---------------------------------------------------------------------------------------------
# Annual reports


@transaction.atomic
def annual_report_save(
    *, organisation: Organisation, year: int, data: dict, expected_version: int | None = None
) -> AnnualReport:
    """Create the organisation's report of the year, or change it (refusing a stale save)."""
    existing = AnnualReport.objects.filter(organisation=organisation, year=year).first()
    if existing is None:
        report = AnnualReport(organisation=organisation, year=year, **data)
        report.full_clean()
        report.save()
        return report
    return _apply_versioned(AnnualReport, existing.pk, data, expected_version)


def obliged_years(organisation: Organisation, today: datetime.date) -> range:
    """Years the organisation must report for, up to last year: legal on 31 Dec of the year and
    registered before 1 Jan of it (TARGETS.md R5)."""
    first = organisation.registered_on.year + 1
    last = today.year - 1
    if organisation.dissolved_on:
        last = min(last, organisation.dissolved_on.year - 1)
    return range(first, last + 1)


def first_report_year() -> int | None:
    """The first year the register holds annual reports for (None when it holds none). Years
    before it predate the portal's records: the portal cannot know whether those reports were
    filed on paper, so it does not call them overdue."""
    return AnnualReport.objects.order_by("year").values_list("year", flat=True).first()


def report_years(organisation: Organisation, reported: Iterable[int], today: datetime.date):
    """The years, newest first, of an organisation's report history: those it reported for and
    those it was obliged to report for since the register's first recorded year."""
    years = set(reported)
    first = first_report_year()
    if organisation.is_legal and first is not None:
        years |= {y for y in obliged_years(organisation, today) if y >= first}
    return sorted(years, reverse=True)


def reporting_status(report: AnnualReport | None, year: int, today: datetime.date) -> dict:
    """How an organisation stands for year Y's report, as the best charity registers show it:
    received on time, received N days late, not yet due, or overdue N days (amber in the first
    two weeks, red after)."""
    due = annual_report_due_date(year)
    if report is not None and report.submitted_on:
        late = (report.submitted_on - due).days
        if late <= 0:
            return {"code": "on_time", "days": 0, "level": "success"}
        return {"code": "late", "days": late, "level": "warning"}
    if today <= due:
        return {"code": "not_due", "days": (due - today).days, "level": "secondary"}
    overdue = (today - due).days
    return {"code": "overdue", "days": overdue, "level": "warning" if overdue <= 14 else "danger"}


REPORTING_CODES = ("on_time", "late", "not_due", "overdue")


def with_reporting_status(organisations, year: int, today: datetime.date):
    """Annotate each organisation with its report of ``year`` (one LEFT JOIN) and the code of its
    reporting status, computed in the database like :func:`reporting_status`."""
    due = annual_report_due_date(year)
    return organisations.annotate(
        report_of_year=FilteredRelation("annual_reports", condition=Q(annual_reports__year=year)),
        report_submitted_on=F("report_of_year__submitted_on"),
        report_result=F("report_of_year__result"),
    ).annotate(
        status_code=Case(
            When(report_submitted_on__lte=due, then=Value("on_time")),
            When(report_submitted_on__gt=due, then=Value("late")),
            default=Value("not_due" if today <= due else "overdue"),
        )
    )


def reporting_status_q(code: str, year: int, today: datetime.date) -> Q:
    """Organisations whose reporting status of ``year`` is ``code``, as
    :func:`with_reporting_status` computes it, with EXISTS subqueries instead of a join, so a
    page of the board is ordered and cut before any report is read."""
    due = annual_report_due_date(year)
    reports = AnnualReport.objects.filter(organisation_id=OuterRef("pk"), year=year)
    if code == "on_time":
        return Q(Exists(reports.filter(submitted_on__lte=due)))
    if code == "late":
        return Q(Exists(reports.filter(submitted_on__gt=due)))
    if code == ("not_due" if today <= due else "overdue"):
        return ~Q(Exists(reports.filter(submitted_on__isnull=False)))
    return Q(pk__in=[])


def attach_reporting_status(organisations, year: int, today: datetime.date):
    """For organisations from :func:`with_reporting_status`: set ``report`` (an unsaved report
    with the year's date and result, for display) and ``status`` (as :func:`reporting_status`)."""
    for organisation in organisations:
        report = None
        if organisation.report_submitted_on or organisation.report_result:
            report = AnnualReport(
                year=year,
                submitted_on=organisation.report_submitted_on,
                result=organisation.report_result or "",
            )
        organisation.report = report or AnnualReport(year=year)
        organisation.status = reporting_status(report, year, today)
        yield organisation


# ---------------------------------------------------------------------------------------------
# Supervision


@transaction.atomic
def inspection_record(*, organisation: Organisation, data: dict) -> Inspection:
    """Record a 双随机 spot check and, when given, the date its result was published."""
    inspection = Inspection(organisation=organisation, **data)
    inspection.full_clean()
    inspection.save()
    return inspection


@transaction.atomic
def list_entry_add(
    *,
    organisation: Organisation,
    kind: str,
    reason: str,
    listed_on: datetime.date,
    actor,
    details: str = "",
) -> ListEntry:
    """Put an organisation on the abnormal list or the blacklist (one open entry per list)."""
    if ListEntry.objects.filter(
        organisation=organisation, kind=kind, removed_on__isnull=True
    ).exists():
        raise ValidationError({"kind": _("The organisation is already on this list.")})
    entry = ListEntry(
        organisation=organisation,
        kind=kind,
        reason=reason,
        details=details,
        listed_on=listed_on,
        listed_by=actor,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def list_entry_remove(
    *, entry: ListEntry, removed_on: datetime.date, reason: str, actor
) -> ListEntry:
    """Take an organisation off a list; the entry stays, with the removal's date and reason."""
    if entry.removed_on:
        raise ValidationError(_("This entry was already removed."))
    if not reason.strip():
        raise ValidationError({"removal_reason": _("Say why the organisation is removed.")})
    entry.removed_on = removed_on
    entry.removal_reason = reason
    entry.removed_by = actor
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def list_overdue_reporters(
    *,
    organisations: Iterable[Organisation],
    year: int,
    actor,
    listed_on: datetime.date | None = None,
) -> list[ListEntry]:
    """Put every given organisation whose report of ``year`` is overdue on the abnormal list, with
    the reason 'annual report not submitted in time'. Already listed ones are skipped."""
    listed_on = listed_on or timezone.localdate()
    details = _("Annual report of %(year)s not submitted by %(due)s.") % {
        "year": year,
        "due": annual_report_due_date(year).isoformat(),
    }
    already = set(
        ListEntry.objects.filter(kind=ListEntry.Kind.ABNORMAL, removed_on__isnull=True).values_list(
            "organisation_id", flat=True
        )
    )
    entries = []
    for organisation in organisations:
        if organisation.pk in already:
            continue
        entries.append(
            list_entry_add(
                organisation=organisation,
                kind=ListEntry.Kind.ABNORMAL,
                reason=ListEntry.Reason.REPORT_LATE,
                listed_on=listed_on,
                actor=actor,
                details=str(details),
            )
        )
    return entries


def filed_defaults() -> dict:
    """Type and mode a township office's filing always has."""
    return {"org_type": OrgType.COMMUNITY, "registration_mode": RegistrationMode.FILED}


# ---------------------------------------------------------------------------------------------
# 双随机、一公开: the random draw of a spot-check plan (see docs/rules.md)


@transaction.atomic
def spot_check_plan_create(*, data: dict, townships: Sequence, actor=None) -> SpotCheckPlan:
    """A year's plan: the organisation types and townships it draws from, a share or a number."""
    plan = SpotCheckPlan(**data)
    plan.full_clean()
    plan.save()
    plan.townships.set(townships)
    return plan


def draw_pairs(
    *,
    organisation_ids: Sequence[int],
    inspectors: Sequence[tuple[int, Sequence[int]]],
    number: int,
    seed: str,
) -> list[tuple[int, list[int]]]:
    """The draw itself, a pure function of its inputs, so anyone holding them repeats it: with
    ``random.Random(seed)``, sample ``number`` of ``organisation_ids`` (in the order given), then
    for each drawn organisation in turn sample two of the inspectors (``(id, linked organisation
    ids)``, in the order given) who are not linked to it."""
    rng = random.Random(seed)  # noqa: S311 - a draw anyone can repeat, not a secret
    drawn = rng.sample(list(organisation_ids), number)
    pairs = []
    for organisation_id in drawn:
        free = [pk for pk, linked in inspectors if organisation_id not in set(linked)]
        if len(free) < 2:
            raise ValidationError(
                _("Fewer than two inspectors of the pool are free to inspect organisation %(id)s.")
                % {"id": organisation_id}
            )
        pairs.append((organisation_id, rng.sample(free, 2)))
    return pairs


def spot_check_number(plan: SpotCheckPlan, pool_size: int) -> int:
    """How many to draw: the plan's number, or its share of the pool rounded up; never more than
    the pool."""
    wanted = plan.count if plan.count is not None else math.ceil(pool_size * plan.share / 100)
    return min(pool_size, max(wanted, 1 if pool_size else 0))


@transaction.atomic
def spot_check_draw(
    *, plan: SpotCheckPlan, actor, seed: str | None = None, on: datetime.date | None = None
) -> SpotCheckPlan:
    """Draw the plan once: the pool of organisations (active on the day, of the plan's types and
    townships, by id) and the pool of active inspectors (by id, with their links) are stored with
    the seed beside the result, so the draw can be repeated and checked."""
    plan = SpotCheckPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_drawn:
        raise ValidationError(_("This plan has been drawn already; a draw is never redone."))
    on = on or timezone.localdate()
    organisations = Organisation.objects.active_on(on).filter(org_type__in=plan.org_types)
    township_ids = list(plan.townships.values_list("pk", flat=True))
    if township_ids:
        organisations = organisations.filter(township_id__in=township_ids)
    organisation_pool = list(organisations.order_by("pk").values_list("pk", flat=True))
    links: dict[int, list[int]] = {}
    for inspector_id, organisation_id in Inspector.linked_organisations.through.objects.values_list(
        "inspector_id", "organisation_id"
    ):
        links.setdefault(inspector_id, []).append(organisation_id)
    inspector_pool = [
        (pk, sorted(links.get(pk, [])))
        for pk in Inspector.objects.active().order_by("pk").values_list("pk", flat=True)
    ]
    number = spot_check_number(plan, len(organisation_pool))
    if number == 0:
        raise ValidationError(_("No organisation matches the plan's scope."))
    seed = seed or secrets.token_hex(8)
    pairs = draw_pairs(
        organisation_ids=organisation_pool, inspectors=inspector_pool, number=number, seed=seed
    )
    plan.seed, plan.drawn_on, plan.drawn_by = seed, on, actor
    plan.organisation_pool = organisation_pool
    plan.inspector_pool = [[pk, linked] for pk, linked in inspector_pool]
    plan.full_clean()
    plan.save()
    for position, (organisation_id, inspector_ids) in enumerate(pairs, start=1):
        drawn = DrawnOrganisation.objects.create(
            plan=plan, position=position, organisation_id=organisation_id
        )
        drawn.inspectors.set(inspector_ids)
    return plan


def spot_check_repeat(plan: SpotCheckPlan) -> list[tuple[int, list[int]]]:
    """The draw of a drawn plan computed again from its recorded seed and pools."""
    return draw_pairs(
        organisation_ids=plan.organisation_pool,
        inspectors=[(pk, linked) for pk, linked in plan.inspector_pool],
        number=plan.drawn.count(),
        seed=plan.seed,
    )


@transaction.atomic
def spot_check_result_record(*, drawn: DrawnOrganisation, data: dict) -> Inspection:
    """Record the result of a drawn organisation's inspection as an ``Inspection`` (what target
    G2 counts), inspected by the two drawn inspectors; its publication date publishes it."""
    drawn = DrawnOrganisation.objects.select_for_update().get(pk=drawn.pk)
    names = "、".join(i.name for i in drawn.inspectors.order_by("name", "pk"))
    values = {**data, "inspectors": names}
    if drawn.inspection_id:
        return _apply_versionless(drawn.inspection_id, values)
    inspection = inspection_record(organisation=drawn.organisation, data=values)
    drawn.inspection = inspection
    drawn.save(update_fields=["inspection"])
    return inspection


def _apply_versionless(inspection_id: int, values: dict) -> Inspection:
    inspection = Inspection.objects.select_for_update().get(pk=inspection_id)
    for name, value in values.items():
        setattr(inspection, name, value)
    inspection.full_clean()
    inspection.save()
    return inspection


@transaction.atomic
def inspector_save(*, inspector: Inspector | None, data: dict, linked: Sequence) -> Inspector:
    """Add an inspector to the pool, or change one, with the organisations he is linked to."""
    inspector = inspector or Inspector()
    for name, value in data.items():
        setattr(inspector, name, value)
    inspector.full_clean()
    inspector.save()
    inspector.linked_organisations.set(linked)
    return inspector
