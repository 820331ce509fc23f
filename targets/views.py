"""The leaders' dashboard, target pages, township quarterly reports and milestones."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.models import Township
from zhenhai_so import jobs
from zhenhai_so.excel import export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from . import metrics, services
from .forms import MilestoneForm, ProgressFilterForm, QuarterlyReportForm, ReviewForm
from .models import (
    Milestone,
    Plan,
    QuarterlyReport,
    RefreshRequest,
    Status,
    Target,
    quarter_end,
    quarterly_report_due,
)
from .progress import evaluate_many, evaluate_plan, records_of
from .records import RECORD_KINDS

# Headline numbers at the top of the dashboard: (label, target code).
HEADLINES = [  # labels translated when shown
    (gettext_noop("Legal organisations"), "R1"),
    (gettext_noop("Per 10,000 people"), "R2"),
    (gettext_noop("Evaluated share"), "S5"),
    (gettext_noop("Party coverage"), "P4"),
]


def _today() -> datetime.date:
    return timezone.localdate()


def _current_plan() -> Plan:
    plan = Plan.objects.order_by("-starts_on").first()
    if plan is None:
        raise Http404(_("No plan has been loaded."))
    return plan


def _scope(request, plan):
    """(filter form, as-of date, township or None). Township offices are held to their own
    township; asking for another one is a 404."""
    townships = Township.objects.visible_to(request.user)
    wanted = request.GET.get("township")
    pk = wanted if wanted and wanted.isascii() and wanted.isdigit() else 0  # not "²"
    if wanted and not townships.filter(pk=pk).exists():
        raise Http404
    default = plan.default_as_of(_today())
    # Unfiltered, the date field shows the date the figures are for.
    form = ProgressFilterForm(request.GET or None, user=request.user, initial={"as_of": default})
    as_of, township = None, None
    if form.is_valid():
        as_of, township = form.cleaned_data["as_of"], form.cleaned_data["township"]
    if township is None and request.user.scope_township_id is not None:
        township = townships.first()
    return form, as_of or default, township


def _plan_quarter_ends(plan: Plan, as_of: datetime.date) -> list[datetime.date]:
    ends = []
    for year in plan.years:
        for quarter in range(1, 5):
            end = quarter_end(year, quarter)
            if plan.starts_on <= end <= min(as_of, plan.ends_on):
                ends.append(end)
    return ends


def _fmt(value, digits=1):
    return None if value is None else round(float(value), digits)


# ---------------------------------------------------------------------------------------------
# Dashboard


def _trends(progress_by_day: dict, township_id, ends) -> dict[str, list]:
    """Each target's headline value at the quarter ends, for the sparklines."""
    trends: dict[str, list] = {}
    for end in ends:
        for p in progress_by_day[(township_id, end)]:
            trends.setdefault(p.target.code, []).append(_fmt(p.value, 2))
    return trends


def _computed_at(progress) -> datetime.datetime | None:
    times = [p.computed_at for p in progress if p.computed_at]
    return min(times) if times else None


def _headline_spending(progress) -> Decimal | None:
    """The year's contract amount of purchase-of-service projects (万元), from C8's figures."""
    for p in progress:
        if p.target.metric == "purchase_growth" and p.extras:
            return p.extras.get("amount")
    return None


@permission_required("targets.view_targetvalue", raise_exception=True)
@require_GET
def dashboard(request):
    """Every target of the plan with its value, status and trend; headline numbers on top. Read
    from the stored series: a constant number of queries for any date and township."""
    plan = _current_plan()
    form, as_of, township = _scope(request, plan)
    township_id = township.pk if township else None
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("targets.export_targets"):
            raise PermissionDenied
        download = jobs.start_export(
            user=request.user,
            kind=dashboard_export,
            title=_("Plan dashboard as of %(date)s") % {"date": as_of.isoformat()}
            + (f" · {township.name}" if township else ""),
            params={"plan": plan.pk, "as_of": as_of.isoformat(), "township": township_id},
        )
        jobs.message_queued(request, download)
        return redirect("jobs:download_detail", pk=download.pk)
    ends = _plan_quarter_ends(plan, as_of)
    targets = list(plan.targets.for_dashboard())
    by_day = evaluate_many(targets, as_of=[as_of, *ends], township_ids=(township_id,))
    progress = by_day[(township_id, as_of)]
    by_code = {p.target.code: p for p in progress}
    counts: dict[str, int] = {}
    for p in progress:
        counts[p.status] = counts.get(p.status, 0) + 1
    context = {
        "plan": plan,
        "form": form,
        "as_of": as_of,
        "township": township,
        "ended": as_of >= plan.ends_on,
        "trend_data": _trends(by_day, township_id, ends),
        "progress": progress,
        "headlines": [(_(label), by_code.get(code)) for label, code in HEADLINES],
        "spending": _headline_spending(progress),
        "status_counts": [(Status(s).label, s, n) for s, n in counts.items()],
        "computed_at": _computed_at(progress),
        "refreshing": RefreshRequest.objects.exists(),
        "querystring": querystring_without_page(request),
        "can_export": request.user.has_perm("targets.export_targets"),
    }
    return render(request, "targets/dashboard.html", context)


def _progress_row(p) -> list:
    t = p.target
    return [
        t.code,
        t.section,
        t.title,
        _fmt(p.value, 2),
        _fmt(p.numerator, 2),
        _fmt(p.denominator, 2),
        t.get_comparator_display(),
        _fmt(t.value, 2),
        _fmt(t.value_max, 2),
        t.deadline,
        str(Status(p.status).label),
        "; ".join(f"{y.year}: {_fmt(y.value, 2)} {Status(y.status).label}" for y in p.years),
    ]


WORKBOOK_HEADERS = [
    "编号", "计划章节", "目标", "当前值", "分子", "分母", "比较", "目标值", "区间上限", "期限",
    "状态", "逐年",
]  # fmt: skip


def _progress_rows(plan, as_of, township_id):
    """The sheet's rows, read when the export task reaches the sheet."""
    for p in evaluate_plan(plan, as_of=as_of, township_id=township_id):
        yield _progress_row(p)


@jobs.export_builder
def dashboard_export(*, user, params: dict) -> jobs.Export:
    """The dashboard workbook as a background export: one sheet of every target for the district
    (or the chosen township), then, for the district, one sheet per township. A township office
    gets its own township only, whatever the parameters say."""
    plan = Plan.objects.get(pk=params["plan"])
    as_of = datetime.date.fromisoformat(params["as_of"])
    townships = Township.objects.visible_to(user)
    township = townships.filter(pk=params.get("township") or 0).first()
    if township is None and user.scope_township_id is not None:
        township = townships.first()
    count = plan.targets.count()
    scope_name = township.name if township else _("Whole district")
    sheets = [
        jobs.Sheet(
            f"{scope_name} {as_of:%Y-%m-%d}",
            WORKBOOK_HEADERS,
            _progress_rows(plan, as_of, township and township.pk),
            count,
        )
    ]
    if township is None:
        sheets += [
            jobs.Sheet(t.name, WORKBOOK_HEADERS, _progress_rows(plan, as_of, t.pk), count)
            for t in townships
        ]
    return jobs.Export(f"targets-{as_of:%Y%m%d}", sheets)


# ---------------------------------------------------------------------------------------------
# Target page

# Labels of the details a metric keeps beside its number (shown on the target page).
EXTRA_LABELS = {
    "by_type": gettext_lazy("By type"),
    "population": gettext_lazy("Registered population"),
    "population_year": gettext_lazy("Population figure of the year"),
    "population_source": gettext_lazy("Source of the population figure"),
    "resident_population": gettext_lazy("Resident population"),
    "per_10k_resident": gettext_lazy("Per 10,000 residents"),
    "from": gettext_lazy("Compared with"),
    "to": gettext_lazy("Counted up to"),
    "year": gettext_lazy("Year"),
    "min": gettext_lazy("Fewest in one village or community"),
    "mean": gettext_lazy("Mean per village or community"),
    "amount": gettext_lazy("Contract amount (10,000 yuan)"),
    "count": gettext_lazy("Projects"),
    "previous_amount": gettext_lazy("Same period of the year before (10,000 yuan)"),
    "inspections": gettext_lazy("Spot checks"),
    "by_list": gettext_lazy("By list"),
    "per_year": gettext_lazy("Listed / removed per year"),
    "mean_personnel_share": gettext_lazy("Mean personnel-cost share of social-work projects (%)"),
}


# The data sources a target names (``Target.source``), in words.
SOURCES = {
    "registry": gettext_lazy("the register"),
    "registry (inspections)": gettext_lazy("the register (spot checks)"),
    "registry (lists)": gettext_lazy("the register (abnormal and serious-violation lists)"),
    "population": gettext_lazy("population figures"),
    "annual reports": gettext_lazy("annual reports"),
    "annual facts": gettext_lazy("facts of the annual reports"),
    "evaluation": gettext_lazy("evaluations"),
    "milestone": gettext_lazy("milestones"),
    "milestones": gettext_lazy("milestones"),
    "procurement": gettext_lazy("purchase of services"),
    "procurement (awards)": gettext_lazy("purchase of services (awards)"),
    "procurement (brands)": gettext_lazy("purchase of services (brands)"),
    "party building": gettext_lazy("party building"),
    "township figures": gettext_lazy("township quarterly reports"),
    "trainings": gettext_lazy("trainings"),
}


def source_label(source: str) -> str:
    return " + ".join(str(SOURCES.get(part.strip(), part.strip())) for part in source.split("+"))


def _extras(extras: dict) -> list[tuple[str, str]]:
    """The details as (label, text), without the note (shown by itself)."""
    out = []
    for key, value in extras.items():
        if key == "note" or key not in EXTRA_LABELS:
            continue
        if isinstance(value, dict):
            value = "; ".join(
                f"{k}: {' / '.join(str(x) for x in v) if isinstance(v, list | tuple) else v}"
                for k, v in value.items()
            )
        out.append((EXTRA_LABELS[key], "—" if value is None else str(value)))
    return out


@permission_required("targets.view_targetvalue", raise_exception=True)
@require_GET
def target_detail(request, pk, township_pk=None):
    """A target's definition and reading, the inputs of its status, its value over time and per
    township, and the records behind the number. Township offices read their own township's page
    (``target_township``); another township's is a 404."""
    target = get_object_or_404(Target.objects.select_related("plan"), pk=pk)
    plan = target.plan
    if township_pk is None and request.user.scope_township_id is not None:
        url = reverse("targets:target_township", args=[pk, request.user.scope_township_id])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    form, as_of, township = _scope(request, plan)
    if township_pk is not None:
        township = get_object_or_404(Township.objects.visible_to(request.user), pk=township_pk)
    township_id = township.pk if township else None
    townships = list(Township.objects.visible_to(request.user))
    ends = _plan_quarter_ends(plan, as_of)
    scopes = {township_id, *(t.pk for t in townships)}
    by_day = evaluate_many([target], as_of=[as_of, *ends], township_ids=sorted(scopes, key=str))
    (progress,) = by_day[(township_id, as_of)]
    result = records_of(target, as_of=as_of, township_id=township_id)
    records = result.records
    kind = RECORD_KINDS.get(result.record_kind)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("targets.export_targets"):
            raise PermissionDenied
        if records is None or kind is None:
            raise Http404
        rows = (kind.row(obj) for obj in kind.listed(records).iterator(chunk_size=2000))
        return export_response(f"target-{target.code}", target.code, kind.headers, rows)
    page = None
    if kind and records is not None:
        page = paginate(request, kind.listed(records), count=_records_count(progress))
    over_time = [(end, by_day[(township_id, end)][0]) for end in ends]
    per_township = [(t, by_day[(t.pk, as_of)][0]) for t in townships]
    chart = {
        "time": {"dates": [d.isoformat() for d, _p in over_time],
                 "values": [_fmt(p.value, 2) for _d, p in over_time]},
        "townships": {"names": [t.name for t, _p in per_township],
                      "values": [_fmt(p.value, 2) for _t, p in per_township]},
        "goal": _fmt(target.value, 2),
    }  # fmt: skip
    context = {
        "target": target,
        "plan": plan,
        "form": form,
        "as_of": as_of,
        "township": township,
        "progress": progress,
        "extras": _extras(progress.extras),
        "metric": metrics.METRICS[target.metric],
        "source": source_label(target.source),
        "over_time": [(day, p.value, p.status_label) for day, p in over_time],
        "per_township": per_township,
        "chart": chart,
        "kind": kind,
        "page": page,
        "rows": [(kind.row(obj), kind.url(obj), getattr(obj, "meets", None)) for obj in page]
        if page
        else [],
        "milestones": target.milestones.all() if target.comparator == "milestone" else None,
        "querystring": querystring_without_page(request),
        "can_export": request.user.has_perm("targets.export_targets"),
    }
    return render(request, "targets/target_detail.html", context)


def _records_count(progress) -> int | None:
    """How many records the list holds, as the stored figures say (spares a COUNT)."""
    which = metrics.METRICS[progress.target.metric].counts_records
    number = getattr(progress, which) if which else None
    return None if number is None else int(number)


# ---------------------------------------------------------------------------------------------
# Milestones


@permission_required("targets.change_milestone", raise_exception=True)
@require_http_methods(["GET", "POST"])
def milestone_edit(request, pk):
    milestone = get_object_or_404(Milestone.objects.select_related("target"), pk=pk)
    form = MilestoneForm(request.POST or None, request.FILES or None, instance=milestone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.milestone_record(
                milestone=milestone,
                completed_on=data["completed_on"],
                evidence_link=data["evidence_link"],
                note=data["note"],
                evidence_file=data["evidence_file"] or None,
                user=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Milestone saved."))
            return redirect("targets:target_detail", milestone.target_id)
    return render(request, "targets/milestone_form.html", {"form": form, "milestone": milestone})


# ---------------------------------------------------------------------------------------------
# Township quarterly reports


def _quarters(plan: Plan, today: datetime.date) -> list[tuple[int, int]]:
    """The plan's quarters that have started by today."""
    quarters = []
    for year in plan.years:
        for quarter in range(1, 5):
            start = datetime.date(year, quarter * 3 - 2, 1)
            if plan.starts_on <= start <= today and start <= plan.ends_on:
                quarters.append((year, quarter))
    return quarters


@permission_required("targets.view_quarterlyreport", raise_exception=True)
@require_GET
def report_board(request):
    """Townships × quarters with each report's state, and each township's reporting and on-time
    rates over the plan's quarters already due (as DHIS2 shows for its data sets)."""
    plan = _current_plan()
    today = _today()
    quarters = _quarters(plan, today)
    townships = list(Township.objects.visible_to(request.user))
    reports = {
        (r.township_id, r.year, r.quarter): r
        for r in QuarterlyReport.objects.visible_to(request.user).filter(plan=plan)
    }
    due = [(y, q) for y, q in quarters if quarterly_report_due(y, q) < today]
    rows = []
    for t in townships:
        cells = [(y, q, reports.get((t.pk, y, q))) for y, q in quarters]
        sent = [reports.get((t.pk, y, q)) for y, q in due]
        sent = [r for r in sent if r and r.first_submitted_at]
        on_time = [r for r in sent if not r.late]
        rows.append(
            {
                "township": t,
                "cells": cells,
                "reporting_rate": round(100 * len(sent) / len(due)) if due else None,
                "on_time_rate": round(100 * len(on_time) / len(due)) if due else None,
            }
        )
    can_file = (
        request.user.has_perm("targets.add_quarterlyreport")
        and request.user.scope_township_id is not None
    )
    context = {
        "plan": plan,
        "quarters": quarters,
        "rows": rows,
        "due_count": len(due),
        "can_file": can_file,
        "next_report": _next_report(request.user.scope_township_id, quarters, reports)
        if can_file
        else None,
    }
    return render(request, "targets/report_board.html", context)


def _next_report(township_id, quarters, reports) -> dict | None:
    """What the township office should fill in next: a report staff returned (the oldest first),
    else the newest quarter's report while it is a draft or not started, else the oldest
    quarter never reported; None when every report is in."""
    own = [(y, q, reports.get((township_id, y, q))) for y, q in quarters]
    returned = [(y, q) for y, q, r in own if r and r.state == QuarterlyReport.State.RETURNED]
    if returned:
        return {"quarter": returned[0], "action": "fix"}
    if own:
        y, q, newest = own[-1]
        if newest is None or newest.state == QuarterlyReport.State.DRAFT:
            return {"quarter": (y, q), "action": "continue" if newest else "start"}
    for y, q, r in own:
        if r is None or r.state == QuarterlyReport.State.DRAFT:
            return {"quarter": (y, q), "action": "continue" if r else "start"}
    return None


@permission_required("targets.add_quarterlyreport", raise_exception=True)
@require_POST
def report_start(request, year, quarter):
    """Open (creating on first use) the user's township report for the quarter."""
    plan = _current_plan()
    if request.user.scope_township_id is None or (year, quarter) not in _quarters(plan, _today()):
        raise Http404
    report = services.quarterly_report_open(
        plan=plan,
        township=request.user.township,
        year=year,
        quarter=quarter,
        user=request.user,
    )
    return redirect("targets:report_edit", report.pk)


def get_report_for(request, pk) -> QuarterlyReport:
    """The report if the user may see it (404 otherwise)."""
    return get_object_or_404(
        QuarterlyReport.objects.visible_to(request.user).select_related("township", "plan"), pk=pk
    )


def _report_context(report):
    values = report.values.select_related("indicator", "community").order_by(
        "indicator__order", "community__code"
    )
    return {
        "report": report,
        "township_values": [v for v in values if v.community_id is None],
        "community_values": [v for v in values if v.community_id is not None],
        "steps": report.steps.select_related("actor"),
        "register_filed": _register_filed(report),
    }


def _register_filed(report) -> int:
    """Community organisations the register shows as filed in the township during the quarter,
    shown beside the township's own figure for checking."""
    from registry.models import Organisation, OrgType

    start = datetime.date(report.year, report.quarter * 3 - 2, 1)
    return Organisation.objects.filter(
        township=report.township_id,
        org_type=OrgType.COMMUNITY,
        registered_on__gte=start,
        registered_on__lte=report.quarter_end,
    ).count()


@permission_required("targets.view_quarterlyreport", raise_exception=True)
@require_GET
def report_detail(request, pk):
    return _render_report_detail(request, get_report_for(request, pk), ReviewForm())


def _render_report_detail(request, report, review_form):
    context = _report_context(report)
    context["review_form"] = review_form
    context["can_review"] = (
        request.user.has_perm("targets.review_quarterlyreport")
        and report.state == QuarterlyReport.State.SUBMITTED
    )
    context["can_edit"] = (
        request.user.has_perm("targets.change_quarterlyreport")
        and request.user.scope_township_id == report.township_id
        and not report.is_locked
    )
    return render(request, "targets/report_detail.html", context)


@permission_required("targets.change_quarterlyreport", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_edit(request, pk):
    """Fill in the report; "save" keeps a draft, "submit" saves and submits."""
    report = get_report_for(request, pk)
    if request.user.scope_township_id != report.township_id:
        raise PermissionDenied
    if report.is_locked:
        messages.info(
            request,
            _("This report is %(state)s and locked.") % {"state": report.get_state_display()},
        )
        return redirect("targets:report_detail", report.pk)
    indicators = list(report.plan.indicators.all())
    communities = list(report.township.communities.order_by("kind", "code"))
    form = QuarterlyReportForm(
        request.POST or None, report=report, indicators=indicators, communities=communities
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.quarterly_report_save_draft(
                report=report,
                values=form.values(),
                narrative=form.cleaned_data["narrative"],
                expected_version=form.cleaned_data["version"],
                user=request.user,
            )
            if "submit" in request.POST:
                services.quarterly_report_submit(report=report, user=request.user)
                messages.success(request, _("Report submitted to the bureau."))
                return redirect("targets:report_detail", report.pk)
        except services.StaleReport:
            messages.error(
                request,
                _("Someone else saved this report after you opened it; nothing was saved. "
                  "The form now shows the stored figures; enter your changes again."),
            )  # fmt: skip
            return redirect("targets:report_edit", report.pk)
        except ValidationError as error:
            by_code = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
            for code, errors in by_code.items():
                for one in errors:
                    field = "c" if one.code == "needs_comment" else "v"
                    name = f"{field}__{code}"
                    form.add_error(name if name in form.fields else None, one)
            messages.error(
                request, _("The draft is saved, but the report cannot be submitted yet.")
            )
            report.refresh_from_db()
            form.data = form.data.copy()
            form.data["version"] = report.version
        else:
            messages.success(request, _("Draft saved."))
            return redirect("targets:report_edit", report.pk)
    context = _report_context(report)
    context["form"] = form
    return render(request, "targets/report_form.html", context)


@permission_required("targets.review_quarterlyreport", raise_exception=True)
@require_POST
def report_review(request, pk, action):
    report = get_report_for(request, pk)
    form = ReviewForm(request.POST)
    if action not in ("accept", "return") or not form.is_valid():
        raise Http404
    try:
        if action == "accept":
            services.quarterly_report_accept(report=report, user=request.user)
            messages.success(request, _("Report accepted."))
        else:
            services.quarterly_report_return(
                report=report, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Report returned to the township."))
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            messages.error(request, " ".join(error.messages))
            return redirect(reverse("targets:report_detail", args=[report.pk]))
        form.add_error(None, error)  # "reason" lands at its field
        return _render_report_detail(request, report, form)
    return redirect(reverse("targets:report_detail", args=[report.pk]))
