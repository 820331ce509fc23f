"""Writes on procurement. Each is atomic, validates with ``full_clean()`` before saving, and is
the one path used by views, the admin, imports and the demo."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from registry.models import OrgStatus
from zhenhai_so.editing import StaleEdit as StaleEdit  # re-exported: callers catch it here
from zhenhai_so.editing import check_version, save_record

from .models import (
    Award,
    Brand,
    CatalogueItem,
    PerformanceEvaluation,
    PersonnelCostCap,
    Project,
    ProjectStep,
    RecommendedEntry,
)

State = Project.State

# action → (states it may start from, state it leads to); the workflow of DESIGN.md:
# declared → approved → running → mid-term reviewed → finished | terminated.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({State.DECLARED}), State.APPROVED),
    "start": (frozenset({State.APPROVED}), State.RUNNING),
    "review": (frozenset({State.RUNNING}), State.MIDTERM_REVIEWED),
    "finish": (frozenset({State.MIDTERM_REVIEWED}), State.FINISHED),
    "terminate": (
        frozenset({State.DECLARED, State.APPROVED, State.RUNNING, State.MIDTERM_REVIEWED}),
        State.TERMINATED,
    ),
}
EDITABLE_STATES = frozenset({State.DECLARED, State.APPROVED, State.RUNNING, State.MIDTERM_REVIEWED})

PROJECT_FIELDS = [
    "code",
    "channel",
    "name",
    "buyer",
    "organisation",
    "township",
    "year",
    "catalogue_item",
    "budget",
    "contract_amount",
    "signed_on",
    "personnel_share",
    "is_social_work",
    "starts_on",
    "ends_on",
]


class TransitionNotAllowed(ValidationError):
    pass


def allowed_actions(project: Project) -> list[str]:
    """The actions the project's state allows, in workflow order."""
    return [action for action, (sources, _to) in TRANSITIONS.items() if project.state in sources]


def personnel_cap_for(date: datetime.date | None, caps=None) -> Decimal | None:
    """The cap in force on the date: from ``caps`` (all caps, oldest first, as an import loads
    them once) or from the database."""
    if date is None:
        return None
    if caps is not None:
        in_force = [c for c in caps if c.effective_from <= date]
        return in_force[-1].cap_percent if in_force else None
    cap = PersonnelCostCap.objects.in_force_on(date)
    return cap.cap_percent if cap else None


def check_personnel_share(project: Project, *, caps=None) -> None:
    """Refuse a social-work service project whose personnel-cost share exceeds the cap in force
    on its signing date (or its start).

    Plan 2018–2020 三(四)3: "将专业社工服务项目列支本组织专门从事社工服务的人员工资经费比例从
    现有区公益创投资金管理办法中的30% 提高到60%"; the caps and their dates are data
    (``PersonnelCostCap``, loaded by ``procurement/reference.py``). The importer passes
    ``caps`` so that a sheet of many rows reads them once.
    """
    if not project.is_social_work or project.personnel_share is None:
        return
    cap = personnel_cap_for(project.cap_date, caps)
    if cap is not None and project.personnel_share > cap:
        raise ValidationError(
            {
                "personnel_share": _(
                    "A social-work service project may spend at most %(cap)s%% on personnel "
                    "(the cap in force on %(date)s)."
                )
                % {"cap": f"{cap.normalize():f}", "date": project.cap_date.isoformat()}
            }
        )


def _validated_save(project: Project) -> Project:
    if project.organisation_id and not project.township_id:
        project.township_id = project.organisation.township_id
    project.full_clean()
    check_personnel_share(project)
    project.save()
    return project


def project_code_for(project: Project) -> str:
    """The number a declared project gets, ``ZH-<year>-<id, five digits>`` (the numbering the
    migration gave the existing ones); a suffix when an imported project already holds it."""
    code = f"ZH-{project.year}-{project.pk:05d}"
    taken = set(
        Project.objects.filter(code__startswith=code)
        .exclude(pk=project.pk)
        .values_list("code", flat=True)
    )
    suffix = 1
    candidate = code
    while candidate in taken:
        suffix += 1
        candidate = f"{code}-{suffix}"
    return candidate


@transaction.atomic
def project_create(*, data: dict, actor) -> Project:
    """Declare a project (state ``declared``); the township defaults to the organisation's.
    The project number is given here, from the id, unless ``data`` brings one."""
    project = Project(**{k: v for k, v in data.items() if k in PROJECT_FIELDS})
    _validated_save(project)
    if not project.code:
        project.code = project_code_for(project)
        project.save(update_fields=["code"])
    ProjectStep.objects.create(
        project=project, from_state="", to_state=project.state, actor=actor, note=""
    )
    return project


@transaction.atomic
def project_update(*, project: Project, data: dict, expected_version: int | None) -> Project:
    """Change a project's facts while it is open; refuses an edit based on an outdated version."""
    current = Project.objects.select_for_update().get(pk=project.pk)
    data = {name: value for name, value in data.items() if name in PROJECT_FIELDS}
    check_version(current, expected_version, data)
    if current.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(_("A finished or terminated project cannot be changed."))
    for name, value in data.items():
        setattr(current, name, value)
    return _validated_save(current)


@transaction.atomic
def project_transition(
    *, project: Project, action: str, actor, note: str = "", on: datetime.date | None = None
) -> Project:
    """Move a project one step, recording who, when and why.

    ``finish`` needs the date it finished (``on``); ``terminate`` needs the reason (``note``).
    """
    if action not in TRANSITIONS:
        raise TransitionNotAllowed(_("Unknown action."), code="unknown")
    current = Project.objects.select_for_update().get(pk=project.pk)
    sources, to_state = TRANSITIONS[action]
    if current.state not in sources:
        raise TransitionNotAllowed(
            _("A project in state “%(state)s” cannot go to “%(to)s”."),
            params={"state": current.get_state_display(), "to": State(to_state).label},
            code="transition",
        )
    if action == "terminate" and not note.strip():
        raise ValidationError({"note": _("Say why the project is terminated.")})
    if action == "finish":
        if on is None:
            raise ValidationError({"finished_on": _("Give the date the project finished.")})
        current.finished_on = on
    ProjectStep.objects.create(
        project=current, from_state=current.state, to_state=to_state, actor=actor, note=note
    )
    current.state = to_state
    current.version += 1
    current.full_clean()
    current.save()
    return current


@transaction.atomic
def performance_evaluation_save(
    *, project: Project, agency: str, score: Decimal, evaluated_on: datetime.date, report=None
) -> PerformanceEvaluation:
    """Record (or correct) the third-party performance evaluation of a finished project."""
    if project.state != State.FINISHED:
        raise TransitionNotAllowed(_("Only a finished project is evaluated."), code="not_finished")
    evaluation = PerformanceEvaluation.objects.filter(project=project).first()
    evaluation = evaluation or PerformanceEvaluation(project=project)
    evaluation.agency, evaluation.score, evaluation.evaluated_on = agency, score, evaluated_on
    if report:
        evaluation.report = report
    if project.finished_on and evaluated_on < project.finished_on:
        raise ValidationError(
            {"evaluated_on": _("The evaluation cannot precede the end of the project.")}
        )
    evaluation.full_clean()
    evaluation.save()
    return evaluation


# ---------------------------------------------------------------------------------------------
# Catalogues, awards, brands: the bureau's records, kept on the portal's pages. A change locks the
# row and refuses an outdated version (``expected_version``); django-auditlog records each save
# and deletion.

CATALOGUE_ITEM_FIELDS = ("year", "code", "name", "category", "department")
RECOMMENDED_FIELDS = ("organisation", "year", "services")
AWARD_FIELDS = ("year", "kind", "organisation", "name", "named_on")
BRAND_FIELDS = ("name", "level", "township", "organisation", "project", "named_on", "year")


@transaction.atomic
def catalogue_item_save(
    *, item: CatalogueItem | None = None, data: dict, expected_version: int | None = None
) -> CatalogueItem:
    """Add (or correct) a service of a year's guidance catalogue (指导性目录); the code is unique
    within the year."""
    return save_record(
        item or CatalogueItem(),
        data=data,
        fields=CATALOGUE_ITEM_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def catalogue_item_delete(*, item: CatalogueItem) -> None:
    """Take a service off the catalogue; refused while projects name it (they would silently
    lose their catalogue item)."""
    if item.projects.exists():
        raise ValidationError(
            _("Projects name this catalogue service; it cannot be deleted."), code="in_use"
        )
    item.delete()


@transaction.atomic
def recommended_entry_save(
    *, entry: RecommendedEntry | None = None, data: dict, expected_version: int | None = None
) -> RecommendedEntry:
    """Put (or keep) an organisation on a year's recommended catalogue (推荐性目录); only a
    registered organisation takes on government functions."""
    organisation = data.get("organisation") or (entry.organisation if entry else None)
    if organisation is not None and (
        not organisation.is_legal or organisation.status != OrgStatus.NORMAL
    ):
        raise ValidationError(
            {"organisation": _("Only a registered organisation goes on the recommended catalogue.")}
        )
    return save_record(
        entry or RecommendedEntry(),
        data=data,
        fields=RECOMMENDED_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def recommended_entry_delete(*, entry: RecommendedEntry) -> None:
    """Take an organisation off a year's recommended catalogue."""
    entry.delete()


@transaction.atomic
def award_save(
    *, award: Award | None = None, data: dict, expected_version: int | None = None
) -> Award:
    """Name (or correct) an excellent public-welfare team of a year (plan 三(三)1: 每年评选十佳
    公益团队); the year defaults to the year it was named."""
    if data.get("named_on") and not data.get("year"):
        data = {**data, "year": data["named_on"].year}
    return save_record(
        award or Award(), data=data, fields=AWARD_FIELDS, expected_version=expected_version
    )


@transaction.atomic
def award_delete(*, award: Award) -> None:
    """Withdraw a distinction named by mistake."""
    award.delete()


@transaction.atomic
def brand_save(
    *, brand: Brand | None = None, data: dict, expected_version: int | None = None
) -> Brand:
    """Name (or correct) a public-welfare brand (plan 三(三)2). The year is the year it was
    named; a township-level brand needs its township and a district one has none."""
    data = dict(data)
    if data.get("named_on"):
        data["year"] = data["named_on"].year
    if data.get("level") == Brand.Level.DISTRICT:
        data["township"] = None
    return save_record(
        brand or Brand(), data=data, fields=BRAND_FIELDS, expected_version=expected_version
    )


@transaction.atomic
def brand_delete(*, brand: Brand) -> None:
    """Withdraw a brand named by mistake."""
    brand.delete()
