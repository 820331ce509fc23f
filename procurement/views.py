from collections import defaultdict
from decimal import Decimal
from operator import attrgetter

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.models import Organisation
from zhenhai_so.editing import RecordPages, add_service_errors, record_page
from zhenhai_so.excel import (
    content_disposition,
    export_response,
    new_workbook,
    workbook_response,
    write_sheet,
)
from zhenhai_so.importing import list_export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from . import services
from .filters import AwardFilter, BrandFilter, ProjectFilter
from .forms import (
    AwardForm,
    BrandForm,
    CatalogueItemForm,
    PerformanceEvaluationForm,
    ProjectForm,
    RecommendedEntryForm,
    TransitionForm,
)
from .models import (
    Award,
    Brand,
    CatalogueItem,
    PerformanceEvaluation,
    PersonnelCostCap,
    Project,
    RecommendedEntry,
)
from .resources import PROJECTS

EXPORT = "procurement.export_procurement"


def _require_export(request):
    if not request.user.has_perm(EXPORT):
        raise PermissionDenied


def get_project_for(request, pk) -> Project:
    """The project if the user may see it; another township's project is a 404."""
    return get_object_or_404(
        Project.objects.visible_to(request.user).select_related(
            "organisation", "township", "catalogue_item"
        ),
        pk=pk,
    )


# ---------------------------------------------------------------------------------------------
# Projects


@permission_required("procurement.view_project", raise_exception=True)
@require_GET
def project_list(request):
    projects = Project.objects.visible_to(request.user)
    project_filter = ProjectFilter(request.GET, queryset=projects, user=request.user)
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        return list_export_response(PROJECTS, project_filter.qs, user=request.user)
    filtered = project_filter.qs
    totals = filtered.aggregate(n=Count("id"), budget=Sum("budget"), amount=Sum("contract_amount"))
    page = paginate(request, filtered.for_list())
    return render(
        request,
        "procurement/project_list.html",
        {
            "filter": project_filter,
            "page": page,
            "totals": totals,
            "querystring": querystring_without_page(request),
        },
    )


@permission_required("procurement.view_project", raise_exception=True)
@require_GET
def project_detail(request, pk):
    project = get_project_for(request, pk)
    evaluation = PerformanceEvaluation.objects.filter(project=project).first()
    cap = PersonnelCostCap.objects.in_force_on(project.cap_date) if project.is_social_work else None
    return render(
        request,
        "procurement/project_detail.html",
        {
            "project": project,
            "evaluation": evaluation,
            "cap": cap,
            "steps": project.steps.select_related("actor"),
            "actions": services.allowed_actions(project),
            "transition_form": TransitionForm(),
            "can_change": request.user.has_perm("procurement.change_project"),
            "editable": project.state in services.EDITABLE_STATES,
        },
    )


def _project_form(request, project):
    initial = {}
    if project is None and request.GET.get("organisation", "").isdigit():
        initial["organisation"] = int(request.GET["organisation"])  # from the organisation's tab

    def save(data, version):
        if data.get("township") is None:
            data["township"] = data["organisation"].township
        if project is None:
            return services.project_create(data=data, actor=request.user)
        return services.project_update(project=project, data=data, expected_version=version)

    return record_page(
        request,
        form=ProjectForm(
            request.POST or None, instance=project or Project(), initial=initial, user=request.user
        ),
        save=save,
        success=lambda saved: reverse("procurement:project_detail", args=[saved.pk]),
        refresh=lambda current: ProjectForm(instance=current, user=request.user),
        template="procurement/project_form.html",
        context={"project": project},
        saved_message=_("Project saved."),
    )


@permission_required("procurement.add_project", raise_exception=True)
@require_http_methods(["GET", "POST"])
def project_create(request):
    return _project_form(request, None)


@permission_required("procurement.change_project", raise_exception=True)
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    project = get_project_for(request, pk)
    if project.state not in services.EDITABLE_STATES:
        messages.error(request, _("A finished or terminated project cannot be changed."))
        return redirect("procurement:project_detail", pk=pk)
    return _project_form(request, project)


@permission_required("procurement.change_project", raise_exception=True)
@require_POST
def project_action(request, pk, action):
    """Approve, start, mid-term review, finish or terminate, each with who, when and why."""
    project = get_project_for(request, pk)
    if action not in services.TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the date and the note."))
        return redirect("procurement:project_detail", pk=pk)
    try:
        services.project_transition(
            project=project,
            action=action,
            actor=request.user,
            note=form.cleaned_data["note"],
            on=form.cleaned_data["on"],
        )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("Project state changed."))
    return redirect("procurement:project_detail", pk=pk)


@permission_required("procurement.add_performanceevaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk):
    project = get_project_for(request, pk)
    if project.state != Project.State.FINISHED:
        messages.error(request, _("Only a finished project is evaluated."))
        return redirect("procurement:project_detail", pk=pk)
    evaluation = PerformanceEvaluation.objects.filter(project=project).first()
    form = PerformanceEvaluationForm(
        request.POST or None,
        request.FILES or None,
        instance=evaluation or PerformanceEvaluation(project=project),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.performance_evaluation_save(
                project=project,
                agency=form.cleaned_data["agency"],
                score=form.cleaned_data["score"],
                evaluated_on=form.cleaned_data["evaluated_on"],
                report=request.FILES.get("report"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Evaluation saved."))
            return redirect("procurement:project_detail", pk=pk)
    return render(request, "procurement/evaluation_form.html", {"form": form, "project": project})


@permission_required("procurement.view_performanceevaluation", raise_exception=True)
@require_GET
def evaluation_report(request, pk):
    """The evaluation report file, only to users who may see the project."""
    project = get_project_for(request, pk)
    evaluation = PerformanceEvaluation.objects.filter(project=project).first()
    if evaluation is None or not evaluation.report:
        raise Http404
    suffix = evaluation.report.name.rsplit(".", 1)[-1]
    response = FileResponse(evaluation.report.open("rb"))
    response["Content-Disposition"] = content_disposition(f"评估报告-{project.name}.{suffix}")
    return response


# ---------------------------------------------------------------------------------------------
# Totals by year and channel (C8)


@permission_required("procurement.view_project", raise_exception=True)
@require_GET
def totals(request):
    """Contract amounts and project counts by year and channel; the year is the year of the
    project (its funding round), so projects not yet signed count with their budget."""
    projects = Project.objects.visible_to(request.user).exclude(state=Project.State.TERMINATED)
    grouped = (
        projects.values("year", "channel")
        .annotate(n=Count("id"), amount=Sum("contract_amount"), budget=Sum("budget"))
        .order_by("year", "channel")
    )
    channels = Project.Channel
    table = defaultdict(lambda: {c.value: {"n": 0, "amount": Decimal(0)} for c in channels})
    for row in grouped:
        table[row["year"]][row["channel"]] = {
            "n": row["n"],
            "amount": row["amount"] or row["budget"] or Decimal(0),
        }
    years = sorted(table)
    rows = []
    for year in years:
        cells = [table[year][c.value] | {"channel": c.value} for c in channels]
        rows.append(
            {
                "year": year,
                "cells": cells,
                "n": sum(c["n"] for c in cells),
                "amount": sum((c["amount"] for c in cells), Decimal(0)),
            }
        )
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        headers = ["年度"]
        for c in channels:
            headers += [f"{c.label}项目数", f"{c.label}金额(元)"]
        headers += ["项目数合计", "金额合计(元)"]
        data = (
            [r["year"], *[v for cell in r["cells"] for v in (cell["n"], cell["amount"])],
             r["n"], r["amount"]]
            for r in rows
        )  # fmt: skip
        return export_response("project-totals", _("Project totals"), headers, data)
    chart = {
        "years": [str(y) for y in years],
        "series": [
            {"name": str(c.label), "data": [float(table[y][c.value]["amount"]) for y in years]}
            for c in channels
        ],
    }
    return render(
        request,
        "procurement/totals.html",
        {
            "rows": rows,
            "channels": channels,
            "chart": chart,
            "grand_n": sum(r["n"] for r in rows),
            "grand_amount": sum((r["amount"] for r in rows), Decimal(0)),
        },
    )


# ---------------------------------------------------------------------------------------------
# Catalogues, awards, brands


def _year_param(request, available: list[int]) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return available[0] if available else None
    return year if year in available else (available[0] if available else None)


@permission_required("procurement.view_catalogueitem", raise_exception=True)
@require_GET
def catalogue(request):
    """The guidance catalogue (services) and the recommended catalogue (organisations) of a
    year."""
    years = sorted(
        set(CatalogueItem.objects.values_list("year", flat=True))
        | set(RecommendedEntry.objects.values_list("year", flat=True)),
        reverse=True,
    )
    year = _year_param(request, years)
    items = CatalogueItem.objects.filter(year=year).annotate(n_projects=Count("projects"))
    entries = (
        RecommendedEntry.objects.visible_to(request.user)
        .filter(year=year)
        .select_related("organisation", "organisation__township")
    )
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        workbook = new_workbook()
        write_sheet(
            workbook,
            "指导性目录",
            ["年度", "编号", "类别", "服务项目", "责任部门"],
            ((i.year, i.code, i.category, i.name, i.department) for i in items),
        )
        write_sheet(
            workbook,
            "推荐性目录",
            ["年度", "统一社会信用代码", "组织名称", "所属镇街", "可承接服务"],
            (
                (e.year, e.organisation.credit_code, e.organisation.name,
                 e.organisation.township.name, e.services)
                for e in entries
            ),
        )  # fmt: skip
        return workbook_response(workbook, f"catalogues-{year}.xlsx")
    return render(
        request,
        "procurement/catalogue.html",
        {"year": year, "years": years, "items": items, "entries": entries},
    )


@permission_required("procurement.view_award", raise_exception=True)
@require_GET
def award_list(request):
    awards = Award.objects.visible_to(request.user).select_related(
        "organisation", "organisation__township"
    )
    award_filter = AwardFilter(request.GET, queryset=awards)
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        rows = (
            (a.year, a.get_kind_display(), a.name, a.organisation.name,
             a.organisation.township.name, a.named_on)
            for a in award_filter.qs.iterator(chunk_size=2000)
        )  # fmt: skip
        headers = ["年度", "类别", "团队名称", "所属组织", "所属镇街", "命名日期"]
        return export_response("awards", _("Excellent teams"), headers, rows)
    per_year = dict(
        award_filter.qs.order_by().values_list("year").annotate(n=Count("id")).order_by("year")
    )
    return render(
        request,
        "procurement/award_list.html",
        {
            "filter": award_filter,
            "page": paginate(request, award_filter.qs),
            "per_year": sorted(per_year.items(), reverse=True),
            "querystring": querystring_without_page(request),
        },
    )


@permission_required("procurement.view_brand", raise_exception=True)
@require_GET
def brand_list(request):
    brands = Brand.objects.visible_to(request.user).select_related(
        "township", "organisation", "project"
    )
    brand_filter = BrandFilter(request.GET, queryset=brands, user=request.user)
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        rows = (
            (b.name, b.get_level_display(), b.township.name if b.township else "",
             b.organisation.name if b.organisation else "", b.project.name if b.project else "",
             b.named_on, b.year)
            for b in brand_filter.qs.iterator(chunk_size=2000)
        )  # fmt: skip
        headers = ["品牌名称", "级别", "所属镇街", "依托组织", "依托项目", "命名日期", "年度"]
        return export_response("brands", _("Public-welfare brands"), headers, rows)
    return render(
        request,
        "procurement/brand_list.html",
        {
            "filter": brand_filter,
            "page": paginate(request, brand_filter.qs),
            "querystring": querystring_without_page(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# Forms for the catalogues, awards and brands (bureau staff; township offices and leaders hold
# only view_* permissions, so they get 403). Records are still loaded through ``visible_to``.
# The pages are ``RecordPages``: permissions procurement.add_<model_name>, change_ and delete_;
# scoping by ``records``; the services they call; their titles.


def _year_from(request) -> int | None:
    year = request.GET.get("year", "")
    return int(year) if year.isdigit() and len(year) == 4 else None


def _catalogue_back(record=None):
    """The catalogues of the record's year (the latest year on a create)."""
    url, year = reverse("procurement:catalogue"), record and record.year
    return (f"{url}?year={year}" if year else url, _("Service catalogues"))


catalogue_items = RecordPages(
    model=CatalogueItem,
    form_class=CatalogueItemForm,
    form_takes_user=False,
    records=lambda user: CatalogueItem.objects.all(),  # the district's catalogue
    name="catalogue_item",
    new=lambda request: CatalogueItem(year=_year_from(request)),
    save=services.catalogue_item_save,
    delete=services.catalogue_item_delete,
    record_arg="item",
    create_title=gettext_lazy("New catalogue service"),
    back=_catalogue_back,
)

recommended_entries = RecordPages(
    model=RecommendedEntry,
    form_class=RecommendedEntryForm,
    records=lambda user: RecommendedEntry.objects.visible_to(user).select_related("organisation"),
    name="recommended",
    new=lambda request: RecommendedEntry(year=_year_from(request)),
    save=services.recommended_entry_save,
    delete=services.recommended_entry_delete,
    record_arg="entry",
    create_title=gettext_lazy("Add to the recommended catalogue"),
    label=attrgetter("organisation.name"),
    back=_catalogue_back,
)

awards = RecordPages(
    model=Award,
    form_class=AwardForm,
    records=lambda user: Award.objects.visible_to(user),
    name="award",
    save=services.award_save,
    delete=services.award_delete,
    record_arg="award",
    create_title=gettext_lazy("Name an excellent team"),
    back=(reverse_lazy("procurement:award_list"), gettext_lazy("Excellent teams")),
)

brands = RecordPages(
    model=Brand,
    form_class=BrandForm,
    records=lambda user: Brand.objects.visible_to(user),
    name="brand",
    save=services.brand_save,
    delete=services.brand_delete,
    record_arg="brand",
    create_title=gettext_lazy("Name a public-welfare brand"),
    back=(reverse_lazy("procurement:brand_list"), gettext_lazy("Public-welfare brands")),
)


# ---------------------------------------------------------------------------------------------
# The organisation page's tab


def projects_tab(request, organisation: Organisation):
    projects = (
        organisation.projects.visible_to(request.user)
        .select_related("performance_evaluation")
        .order_by("-year", "name")
    )
    return {
        "organisation_id": organisation.pk,
        "projects": projects,
        "awards": organisation.awards.all(),
        "brands": organisation.brands.all(),
    }
