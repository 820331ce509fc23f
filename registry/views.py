import datetime

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import (
    LEGAL_TYPES,
    AnnualReport,
    Community,
    ListEntry,
    Organisation,
    OrgType,
    RegistrationApplication,
    Township,
)


def _today() -> datetime.date:
    return timezone.localdate()


def _townships_visible_to(user):
    townships = Township.objects.all()
    if user.scope_township_id is not None:
        townships = townships.filter(pk=user.scope_township_id)
    return townships


@permission_required("registry.view_organisation", raise_exception=True)
@require_GET
def overview(request):
    """The register at a glance for the user's scope: organisations by type and township,
    applications waiting, reports overdue, open list entries."""
    today = _today()
    orgs = Organisation.objects.visible_to(request.user).active_on(today)
    by_type = dict(orgs.values_list("org_type").annotate(n=Count("id")).order_by())
    type_rows = [(label, by_type.get(value, 0), value) for value, label in OrgType.choices]
    legal_total = sum(by_type.get(t, 0) for t in LEGAL_TYPES)
    townships = _townships_visible_to(request.user).annotate(
        legal=Count(
            "organisations",
            filter=Q(
                organisations__org_type__in=LEGAL_TYPES, organisations__registered_on__lte=today
            )
            & (
                Q(organisations__dissolved_on__isnull=True)
                | Q(organisations__dissolved_on__gt=today)
            ),
        ),
        filed=Count(
            "organisations",
            filter=Q(
                organisations__org_type=OrgType.COMMUNITY, organisations__registered_on__lte=today
            )
            & (
                Q(organisations__dissolved_on__isnull=True)
                | Q(organisations__dissolved_on__gt=today)
            ),
        ),
    )
    report_year = today.year - 1 if today >= datetime.date(today.year, 5, 31) else today.year - 2
    obliged = (
        Organisation.objects.visible_to(request.user)
        .legal_on(datetime.date(report_year, 12, 31))
        .filter(registered_on__lt=datetime.date(report_year, 1, 1))
    )
    received = AnnualReport.objects.filter(
        organisation__in=obliged, year=report_year, submitted_on__isnull=False
    ).count()
    context = {
        "today": today,
        "type_rows": type_rows,
        "legal_total": legal_total,
        "townships": townships,
        "waiting": RegistrationApplication.objects.visible_to(request.user)
        .awaiting_review()
        .count(),
        "report_year": report_year,
        "obliged": obliged.count(),
        "received": received,
        "listed": ListEntry.objects.visible_to(request.user).current_on(today).count(),
    }
    return render(request, "registry/overview.html", context)


@permission_required("zhenhai_so.view_reference", raise_exception=True)
@require_GET
def township_list(request):
    townships = _townships_visible_to(request.user).annotate(
        urban=Count("communities", filter=Q(communities__kind=Community.Kind.URBAN)),
        rural=Count("communities", filter=Q(communities__kind=Community.Kind.RURAL)),
    )
    return render(request, "registry/township_list.html", {"townships": townships})


@permission_required("zhenhai_so.view_reference", raise_exception=True)
@require_GET
def township_detail(request, pk):
    township = get_object_or_404(_townships_visible_to(request.user), pk=pk)
    today = _today()
    communities = township.communities.annotate(
        org_count=Count(
            "organisations",
            filter=Q(organisations__registered_on__lte=today)
            & (
                Q(organisations__dissolved_on__isnull=True)
                | Q(organisations__dissolved_on__gt=today)
            ),
        )
    )
    return render(
        request, "registry/township_detail.html", {"township": township, "communities": communities}
    )
