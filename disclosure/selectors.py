"""What the public may see, as querysets: every read of the public pages goes through here.

Only fields meant for the public leave these functions (``only()`` names them), so a template
cannot reach a phone number, an internal note or an annual report's figures by accident. What is
public follows 《社会组织信用信息管理办法》 (民政部令第60号, 2018: registration facts, annual
report results, abnormal / serious-violation list entries with reason and date, spot-check
results) and 《政府购买服务管理办法》 (财政部令第102号, 2020: purchased services, the
undertaking organisation and the contract amount).

Decided private (never shown): organisation phone and capital; a list entry's free-text details,
removal reason and who listed or removed it; an inspection's inspectors and findings (only the
result and the date it was published are public); every annual-report fact beyond submission
and result; registration applications; project budget, personnel share, steps and evaluations;
users.
"""

import datetime

from django.apps import apps
from django.db.models import Q

from registry.models import AnnualReport, Inspection, ListEntry, Organisation
from registry.validators import normalise_credit_code

ORGANISATION_PUBLIC_FIELDS = (
    "id",
    "name",
    "credit_code",
    "org_type",
    "registration_mode",
    "sector",
    "status",
    "registered_on",
    "dissolved_on",
    "grade",
    "grade_expires_on",
    "legal_representative",
    "township__name",
)
PROFILE_FIELDS = (
    *ORGANISATION_PUBLIC_FIELDS,
    "supervising_unit",
    "address",
    "community__name",
)


def procurement_installed() -> bool:
    """Procurement is optional to this app: its sections appear when the app is installed."""
    return apps.is_installed("procurement")


def public_organisations():
    """Every organisation of the register, dissolved ones included (their status says so).

    The register holds only approved or filed organisations; establishment drafts live in
    ``RegistrationApplication`` and never reach the public.
    """
    return Organisation.objects.select_related("township").only(*ORGANISATION_PUBLIC_FIELDS)


def public_profile_organisations():
    """The same organisations, with the fields of the public profile."""
    return Organisation.objects.select_related("township", "community").only(*PROFILE_FIELDS)


def annual_reports_of(organisation: Organisation):
    """Year, submission date and result only: the report's figures are internal."""
    return (
        AnnualReport.objects.filter(organisation=organisation)
        .only("id", "organisation_id", "year", "submitted_on", "result")
        .order_by("-year")
    )


def current_list_entries(*, on: datetime.date, kind: str | None = None):
    """Entries on the abnormal list or the blacklist on the date, newest first."""
    entries = ListEntry.objects.current_on(on)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.select_related("organisation", "organisation__township").only(
        "id",
        "kind",
        "reason",
        "listed_on",
        "removed_on",
        "organisation__id",
        "organisation__name",
        "organisation__credit_code",
        "organisation__township__name",
    )


def published_inspections():
    """Spot checks whose result has been published (双随机、一公开): result and dates only."""
    return (
        Inspection.objects.filter(published_on__isnull=False)
        .select_related("organisation", "organisation__township")
        .only(
            "id",
            "inspected_on",
            "result",
            "published_on",
            "organisation__id",
            "organisation__name",
            "organisation__credit_code",
            "organisation__township__name",
        )
        .order_by("-published_on", "-inspected_on", "-id")
    )


PROJECT_PUBLIC_FIELDS = (
    "id",
    "channel",
    "name",
    "buyer",
    "year",
    "contract_amount",
    "state",
    "starts_on",
    "ends_on",
    "finished_on",
    "organisation__id",
    "organisation__name",
    "township__name",
)


def awarded_projects():
    """Projects that were awarded (approved or later, terminated ones included): a declared
    project is an application, not yet a public decision. Empty without procurement."""
    if not procurement_installed():
        return None
    from procurement.models import Project

    return (
        Project.objects.exclude(state=Project.State.DECLARED)
        .select_related("organisation", "township")
        .only(*PROJECT_PUBLIC_FIELDS)
        .order_by("-year", "name", "id")
    )


def finished_projects_of(organisation: Organisation):
    if not procurement_installed():
        return None
    from procurement.models import Project

    return (
        Project.objects.filter(organisation=organisation, state=Project.State.FINISHED)
        .only("id", "channel", "name", "buyer", "year", "contract_amount", "finished_on")
        .order_by("-year", "name", "id")
    )


def public_awards():
    if not procurement_installed():
        return None
    from procurement.models import Award

    return Award.objects.select_related("organisation", "organisation__township").only(
        "id",
        "year",
        "kind",
        "name",
        "named_on",
        "organisation__id",
        "organisation__name",
        "organisation__township__name",
    )


def public_brands():
    if not procurement_installed():
        return None
    from procurement.models import Brand

    return Brand.objects.select_related("township", "organisation", "project").only(
        "id",
        "name",
        "level",
        "year",
        "named_on",
        "township__name",
        "organisation__id",
        "organisation__name",
        "project__name",
    )


def search(queryset, value: str, *, prefix: str = ""):
    """Organisations (or rows of ``prefix`` organisations) by name or credit code, as typed; a
    code is matched in its stored form (half-width, upper-case, without spaces)."""
    value = value.strip()
    if not value:
        return queryset
    condition = Q(**{f"{prefix}name__icontains": value})
    code = normalise_credit_code(value)
    if code:
        condition |= Q(**{f"{prefix}credit_code__icontains": code})
    return queryset.filter(condition)
