"""Public disclosure pages (信息公开): no login, GET only, rate-limited, public fields only.

Every read goes through ``disclosure.selectors``, which names the public fields; the pages show
what the national social-organisation platform shows about an organisation (registration facts,
annual-report results, list entries, spot-check results, evaluation grade) plus the district's
purchase-of-service projects, excellent teams and brands.
"""

import datetime

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from registry.models import ListEntry, OrgType, SpotCheckPlan
from registry.services import report_years, reporting_status
from zhenhai_so.pagination import paginate, querystring_without_page

from . import selectors
from .caching import public_cache
from .downloads import FORMATS, download
from .filters import (
    PublicAwardFilter,
    PublicBrandFilter,
    PublicInspectionFilter,
    PublicListEntryFilter,
    PublicOrganisationFilter,
    PublicProjectFilter,
)
from .ratelimit import rate_limited


def public_page(view):
    """Open to anyone, signed in or not; read-only (GET and HEAD); rate-limited per client
    address."""
    return login_not_required(require_safe(rate_limited(view)))


def _today() -> datetime.date:
    return timezone.localdate()


def _export_format(request) -> str | None:
    fmt = request.GET.get("export")
    return fmt if fmt in FORMATS else None


def _list_page(request, template: str, filterset, **context):
    """A list page. The page of rows is lazy: when the template finds its content cached, no
    query runs (``disclosure.caching``)."""
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page": SimpleLazyObject(lambda: paginate(request, filterset.qs)),
            "querystring": querystring_without_page(request),
            "public_cache": public_cache(request, today=_today()),
            **context,
        },
    )


def _labels(model, field: str) -> dict:
    """A choice field's labels in the active language, worked out once per download:
    ``get_FOO_display()`` rebuilds the choices and translates each label on every call, which
    made the download of 20,000 organisations take 10 s instead of 1."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


CHUNK_ROWS = 2000


def _rows(queryset, fields: tuple, labelled: dict):
    """The download's rows as tuples of the named fields (no model instances), with the choice
    fields in ``labelled`` ({field: labels}) shown by their label."""
    positions = [(fields.index(field), labels) for field, labels in labelled.items()]
    # Read in chunks of plain queries, not through a server-side cursor: a download that is not
    # read to its end would leave the cursor to be closed whenever its generator is collected,
    # possibly in the middle of another query on the same connection (which then never ends).
    ordering = [*(queryset.query.order_by or queryset.model._meta.ordering), "pk"]
    values = queryset.values_list(*fields).order_by(*ordering)
    start = 0
    while chunk := list(values[start : start + CHUNK_ROWS]):
        for row in chunk:
            row = list(row)
            for position, labels in positions:
                row[position] = labels.get(row[position], row[position])
            yield row
        start += CHUNK_ROWS


def _require_procurement():
    if not selectors.procurement_installed():
        raise Http404


# ---------------------------------------------------------------------------------------------
# Organisations

ORGANISATION_HEADERS = [
    "统一社会信用代码",
    "名称",
    "类型",
    "登记方式",
    "业务领域",
    "所属镇街",
    "法定代表人",
    "成立日期",
    "注销日期",
    "状态",
    "评估等级",
    "等级有效期至",
]


ORGANISATION_FIELDS = (
    "credit_code",
    "name",
    "org_type",
    "registration_mode",
    "sector",
    "township__name",
    "legal_representative",
    "registered_on",
    "dissolved_on",
    "status",
    "grade",
    "grade_expires_on",
)


def _organisation_rows(queryset):
    model = queryset.model
    labelled = {f: _labels(model, f) for f in ("org_type", "registration_mode", "sector", "status")}
    return _rows(queryset, ORGANISATION_FIELDS, labelled)


@public_page
def search(request):
    """Find an organisation by name or credit code, with filters."""
    org_filter = PublicOrganisationFilter(request.GET, queryset=selectors.public_organisations())
    if fmt := _export_format(request):
        return download(
            fmt,
            filename="organisations",
            title=_("Organisations"),
            headers=ORGANISATION_HEADERS,
            rows=_organisation_rows(org_filter.qs),
        )
    return _list_page(request, "disclosure/search.html", org_filter, today=_today())


def _report_rows(organisation, today: datetime.date) -> list[dict]:
    """One row per year with a report or an obligation to report: submission and result.
    Obligations before the register's first recorded year are left out: the portal cannot
    know whether those reports were filed on paper."""
    reports = {r.year: r for r in selectors.annual_reports_of(organisation)}
    rows = []
    for year in report_years(organisation, reports, today):
        report = reports.get(year)
        status = reporting_status(report, year, today)
        submitted = report is not None and report.submitted_on is not None
        rows.append(
            {
                "year": year,
                "status": status,
                "submitted_on": report.submitted_on if submitted else None,
                "result": report.get_result_display() if submitted and report.result else "",
            }
        )
    return rows


@public_page
def organisation(request, pk):
    """An organisation's public profile. The organisation is read at once (its name is the
    page's title, and an unknown id is a 404); the sections are lazy, read only when the page's
    content is not cached."""
    today = _today()
    org = get_object_or_404(selectors.public_profile_organisations(), pk=pk)
    projects = selectors.finished_projects_of(org)
    context = {
        "organisation": org,
        "today": today,
        "grade_valid": org.grade_valid_on(today),
        "report_rows": SimpleLazyObject(lambda: _report_rows(org, today)),
        "list_entries": selectors.current_list_entries(on=today).filter(organisation=org),
        "inspections": selectors.published_inspections().filter(organisation=org),
        "procurement": projects is not None,
        "projects": projects if projects is not None else [],
        "public_cache": public_cache(request, today=today),
    }
    return render(request, "disclosure/organisation.html", context)


# ---------------------------------------------------------------------------------------------
# Lists

LIST_TITLES = {
    ListEntry.Kind.ABNORMAL: gettext_lazy("Abnormal activity list"),
    ListEntry.Kind.SERIOUS: gettext_lazy("Serious violation list (blacklist)"),
}
LIST_HEADERS = ["统一社会信用代码", "组织名称", "所属镇街", "名录", "列入原因", "列入日期"]


@public_page
def list_entries(request, kind):
    """The organisations on the abnormal list or on the blacklist today, with reason and date."""
    if kind not in ListEntry.Kind.values:
        raise Http404
    entries = selectors.current_list_entries(on=_today(), kind=kind)
    entry_filter = PublicListEntryFilter(request.GET, queryset=entries)
    title = LIST_TITLES[kind]
    if fmt := _export_format(request):
        fields = (
            "organisation__credit_code",
            "organisation__name",
            "organisation__township__name",
            "kind",
            "reason",
            "listed_on",
        )
        labelled = {f: _labels(ListEntry, f) for f in ("kind", "reason")}
        rows = _rows(entry_filter.qs, fields, labelled)
        return download(fmt, filename=f"list-{kind}", title=title, headers=LIST_HEADERS, rows=rows)
    return _list_page(request, "disclosure/list_entries.html", entry_filter, kind=kind, title=title)


INSPECTION_HEADERS = [
    "统一社会信用代码",
    "组织名称",
    "所属镇街",
    "抽查日期",
    "抽查结果",
    "公示日期",
]


@public_page
def inspections(request):
    """Published results of the random spot checks (双随机、一公开): result and dates only."""
    inspection_filter = PublicInspectionFilter(
        request.GET, queryset=selectors.published_inspections()
    )
    if fmt := _export_format(request):
        fields = (
            "organisation__credit_code",
            "organisation__name",
            "organisation__township__name",
            "inspected_on",
            "result",
            "published_on",
        )
        qs = inspection_filter.qs
        rows = _rows(qs, fields, {"result": _labels(qs.model, "result")})
        return download(
            fmt,
            filename="spot-checks",
            title=_("Spot-check results"),
            headers=INSPECTION_HEADERS,
            rows=rows,
        )
    return _list_page(request, "disclosure/inspections.html", inspection_filter)


@public_page
def spot_check_draws(request):
    """The draws of the spot-check plans (双随机、一公开): every drawn plan, newest first."""
    plans = SpotCheckPlan.objects.drawn()
    return render(request, "disclosure/spot_check_draws.html", {"plans": plans})


@public_page
def spot_check_draw(request, pk):
    """One draw made public: its scope, seed and pools, each drawn organisation with its two
    inspectors and, once published, the result."""
    plan = get_object_or_404(SpotCheckPlan.objects.drawn(), pk=pk)
    labels = dict(OrgType.choices)
    drawn = plan.drawn.select_related(
        "organisation", "organisation__township", "inspection"
    ).prefetch_related("inspectors")
    return render(
        request,
        "disclosure/spot_check_draw.html",
        {
            "plan": plan,
            "drawn": drawn,
            "types": [labels.get(t, t) for t in plan.org_types],
            "townships": plan.townships.all(),
            "pool_size": len(plan.organisation_pool),
            "inspector_count": len(plan.inspector_pool),
        },
    )


# ---------------------------------------------------------------------------------------------
# Purchase of services, excellent teams, brands (when procurement is installed)

PROJECT_HEADERS = [
    "年度",
    "资金渠道",
    "项目名称",
    "购买主体",
    "承接组织",
    "所属镇街",
    "合同金额(元)",
    "开始日期",
    "结束日期",
    "状态",
]


@public_page
def projects(request):
    """Purchase-of-service and funded projects awarded, by year, with the contract amounts."""
    _require_procurement()
    project_filter = PublicProjectFilter(request.GET, queryset=selectors.awarded_projects())
    if fmt := _export_format(request):
        fields = (
            "year",
            "channel",
            "name",
            "buyer",
            "organisation__name",
            "township__name",
            "contract_amount",
            "starts_on",
            "ends_on",
            "state",
        )
        qs = project_filter.qs
        labelled = {f: _labels(qs.model, f) for f in ("channel", "state")}
        rows = _rows(qs, fields, labelled)
        return download(
            fmt,
            filename="projects",
            title=_("Purchase-of-service projects"),
            headers=PROJECT_HEADERS,
            rows=rows,
        )
    per_year = (
        project_filter.qs.order_by()
        .values("year")
        .annotate(count=Count("id"), amount=Sum("contract_amount"))
        .order_by("-year")
    )
    return _list_page(request, "disclosure/projects.html", project_filter, per_year=per_year)


@public_page
def awards(request):
    """The excellent public-welfare teams named each year."""
    _require_procurement()
    award_filter = PublicAwardFilter(request.GET, queryset=selectors.public_awards())
    if fmt := _export_format(request):
        fields = (
            "year",
            "kind",
            "name",
            "organisation__name",
            "organisation__township__name",
            "named_on",
        )
        qs = award_filter.qs
        rows = _rows(qs, fields, {"kind": _labels(qs.model, "kind")})
        headers = ["年度", "类别", "团队名称", "所属组织", "所属镇街", "命名日期"]
        return download(
            fmt, filename="excellent-teams", title=_("Excellent teams"), headers=headers, rows=rows
        )
    return _list_page(request, "disclosure/awards.html", award_filter)


@public_page
def brands(request):
    """The public-welfare brands named at district or township level."""
    _require_procurement()
    brand_filter = PublicBrandFilter(request.GET, queryset=selectors.public_brands())
    if fmt := _export_format(request):
        fields = (
            "name",
            "level",
            "township__name",
            "organisation__name",
            "project__name",
            "named_on",
            "year",
        )
        qs = brand_filter.qs
        rows = _rows(qs, fields, {"level": _labels(qs.model, "level")})
        headers = ["品牌名称", "级别", "所属镇街", "依托组织", "依托项目", "命名日期", "年度"]
        return download(
            fmt, filename="brands", title=_("Public-welfare brands"), headers=headers, rows=rows
        )
    return _list_page(request, "disclosure/brands.html", brand_filter)
