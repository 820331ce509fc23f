import datetime

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from registry.models import Organisation, Township
from zhenhai_so.excel import export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from .coverage import CLASSES, coverage_on, with_coverage
from .coverage import classify as classify_coverage
from .coverage import is_flagged as coverage_flagged
from .filters import (
    CentreFilter,
    InstructorFilter,
    PartyOrganisationFilter,
    SiteFilter,
    TrainingFilter,
)
from .models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
)

EXPORT = "partybuilding.export_partybuilding"


def _require_export(request):
    if not request.user.has_perm(EXPORT):
        raise PermissionDenied


def _class_labels():
    return {
        "own": _("Own party organisation"),
        "joint": _("Joint party organisation"),
        "instructor": _("Instructor only"),
        "none": _("Not covered"),
    }


def _as_of(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


# ---------------------------------------------------------------------------------------------
# Coverage (P3, P4)


@permission_required("partybuilding.view_partyorganisation", raise_exception=True)
@require_GET
def coverage(request):
    """Coverage of legal SOs on an as-of date, by township and class, with the flagged ones."""
    date = _as_of(request)
    townships = list(Township.objects.all())
    if request.user.scope_township_id is not None:
        townships = [t for t in townships if t.pk == request.user.scope_township_id]
    result = coverage_on(date, organisations=Organisation.objects.visible_to(request.user))
    labels = _class_labels()
    show = request.GET.get("show", "")
    rows = [
        r
        for r in result.rows
        if (show == "flagged" and r.flagged) or show == r.coverage or show == "all"
    ]
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        headers = [
            "统一社会信用代码",
            "组织名称",
            "所属镇街",
            "覆盖方式",
            "正式党员数",
            "应单独建而未建",
        ]
        data = (
            (r.credit_code, r.name, r.township, labels[r.coverage], r.party_members,
             "是" if r.flagged else "否")
            for r in result.rows
        )  # fmt: skip
        return export_response(f"party-coverage-{date:%Y%m%d}", _("Coverage"), headers, data)
    table = [
        {
            "township": t,
            "cells": [result.by_township.get(t.name, {}).get(c, 0) for c in CLASSES],
            "total": sum(result.by_township.get(t.name, {}).values()),
        }
        for t in townships
    ]
    chart = {
        "townships": [t.name for t in townships],
        "series": [
            {"name": str(labels[c]), "data": [row["cells"][i] for row in table]}
            for i, c in enumerate(CLASSES)
        ],
    }
    return render(
        request,
        "partybuilding/coverage.html",
        {
            "date": date,
            "result": result,
            "classes": [(c, labels[c], result.counts[c]) for c in CLASSES],
            "table": table,
            "chart": chart,
            "show": show,
            "page": paginate(request, rows, per_page=50),
            "labels": labels,
            "querystring": querystring_without_page(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# Lists


def _list(request, *, queryset, filter_class, template, export):
    """The shared shape of the party-building lists: filter, export or paginate."""
    filterset = filter_class(request.GET, queryset=queryset, user=request.user)
    if request.GET.get("export") == "xlsx":
        _require_export(request)
        filename, title, headers, row = export
        rows = (row(obj) for obj in filterset.qs)
        return export_response(filename, title, headers, rows)
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page": paginate(request, filterset.qs),
            "querystring": querystring_without_page(request),
        },
    )


@permission_required("partybuilding.view_partyorganisation", raise_exception=True)
@require_GET
def party_organisation_list(request):
    queryset = (
        PartyOrganisation.objects.visible_to(request.user)
        .select_related("township")
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.only("id", "name"))
        )
    )
    export = (
        "party-organisations",
        _("Party organisations"),
        ["党组织名称", "组建方式", "所属镇街", "覆盖组织", "成立日期", "撤销日期", "书记"],
        lambda p: (
            p.name,
            p.get_kind_display(),
            p.township.name,
            "、".join(o.name for o in p.organisations.all()),
            p.established_on,
            p.dissolved_on,
            p.secretary,
        ),
    )
    return _list(
        request,
        queryset=queryset,
        filter_class=PartyOrganisationFilter,
        template="partybuilding/party_organisation_list.html",
        export=export,
    )


@permission_required("partybuilding.view_instructorassignment", raise_exception=True)
@require_GET
def instructor_list(request):
    queryset = InstructorAssignment.objects.visible_to(request.user).select_related(
        "organisation", "organisation__township"
    )
    export = (
        "instructors",
        _("Party-building instructors"),
        ["党建指导员", "组织名称", "所属镇街", "派驻日期", "结束日期"],
        lambda a: (
            a.instructor,
            a.organisation.name,
            a.organisation.township.name,
            a.starts_on,
            a.ends_on,
        ),
    )
    return _list(
        request,
        queryset=queryset,
        filter_class=InstructorFilter,
        template="partybuilding/instructor_list.html",
        export=export,
    )


@permission_required("partybuilding.view_demonstrationsite", raise_exception=True)
@require_GET
def site_list(request):
    queryset = DemonstrationSite.objects.visible_to(request.user).select_related(
        "organisation", "organisation__township"
    )
    export = (
        "demonstration-sites",
        _("Demonstration sites"),
        ["年度", "示范点名称", "组织名称", "所属镇街", "命名日期"],
        lambda s: (s.year, s.name, s.organisation.name, s.organisation.township.name, s.named_on),
    )
    return _list(
        request,
        queryset=queryset,
        filter_class=SiteFilter,
        template="partybuilding/site_list.html",
        export=export,
    )


@permission_required("partybuilding.view_partyservicecentre", raise_exception=True)
@require_GET
def centre_list(request):
    queryset = PartyServiceCentre.objects.visible_to(request.user).select_related("township")
    export = (
        "party-service-centres",
        _("Party-mass service centres"),
        ["名称", "层级", "所属镇街", "状态", "启用日期"],
        lambda c: (
            c.name,
            c.get_level_display(),
            c.township.name if c.township else "",
            c.get_state_display(),
            c.opened_on,
        ),
    )
    return _list(
        request,
        queryset=queryset,
        filter_class=CentreFilter,
        template="partybuilding/centre_list.html",
        export=export,
    )


@permission_required("partybuilding.view_training", raise_exception=True)
@require_GET
def training_list(request):
    queryset = (
        Training.objects.visible_to(request.user)
        .select_related("township")
        .annotate(n_enrolled=Count("enrolments"))
        .order_by("-held_on", "id")
    )
    export = (
        "trainings",
        _("Trainings"),
        [
            "培训名称",
            "类别",
            "层级",
            "所属镇街",
            "举办日期",
            "主办单位",
            "参加人数",
            "研修班学员数",
        ],
        lambda t: (
            t.title,
            t.get_kind_display(),
            t.get_level_display(),
            t.township.name if t.township else "",
            t.held_on,
            t.organiser,
            t.attendees,
            t.n_enrolled,
        ),
    )
    return _list(
        request,
        queryset=queryset,
        filter_class=TrainingFilter,
        template="partybuilding/training_list.html",
        export=export,
    )


@permission_required("partybuilding.view_training", raise_exception=True)
@require_GET
def training_detail(request, pk):
    training = get_object_or_404(
        Training.objects.visible_to(request.user).select_related("township"), pk=pk
    )
    enrolments = training.enrolments.select_related("organisation", "organisation__township")
    return render(
        request,
        "partybuilding/training_detail.html",
        {"training": training, "enrolments": enrolments},
    )


# ---------------------------------------------------------------------------------------------
# The organisation page's tab


def party_tab(request, organisation: Organisation):
    today = timezone.localdate()
    annotated = with_coverage(Organisation.objects.filter(pk=organisation.pk), today).get()
    return {
        "today": today,
        "coverage": classify_coverage(annotated),
        "coverage_label": _class_labels()[classify_coverage(annotated)],
        "flagged": coverage_flagged(annotated) and organisation.is_legal,
        "party_members": annotated.party_members,
        "party_organisations": organisation.party_organisations.select_related("township"),
        "instructors": organisation.instructor_assignments.all(),
        "sites": organisation.demonstration_sites.all(),
        "enrolments": organisation.training_enrolments.select_related("training"),
    }
