import datetime
from operator import attrgetter

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.models import Organisation, Township
from zhenhai_so.editing import RecordPages, add_service_errors, record_page
from zhenhai_so.excel import export_response
from zhenhai_so.importing import ImportKind, list_export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from . import services
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
from .forms import (
    DemonstrationSiteForm,
    EnrolmentForm,
    InstructorAssignForm,
    InstructorEndForm,
    PartyOrganisationForm,
    PartyServiceCentreForm,
    TrainingForm,
)
from .models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)
from .resources import PARTY, TRAININGS

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
    # Drill-down from a figure: a class (or the flagged, or all) and optionally one township.
    township = next((t for t in townships if str(t.pk) == request.GET.get("township")), None)
    in_township = [r for r in result.rows if township is None or r.township == township.name]
    rows = [
        r
        for r in in_township
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
            for r in (rows if show else in_township)
        )  # fmt: skip
        return export_response(f"party-coverage-{date:%Y%m%d}", _("Coverage"), headers, data)
    table = [
        {
            "township": t,
            "cells": [(c, result.by_township.get(t.name, {}).get(c, 0)) for c in CLASSES],
            "total": sum(result.by_township.get(t.name, {}).values()),
        }
        for t in townships
    ]
    chart = {
        "townships": [t.name for t in townships],
        "series": [
            {"name": str(labels[c]), "data": [row["cells"][i][1] for row in table]}
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
            "township": township,
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
        if isinstance(export, ImportKind):  # a sheet the kind's import takes back unchanged
            return list_export_response(export, filterset.qs, user=request.user)
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
    export = PARTY
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
    export = TRAININGS
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
    return _training_page(request, _training_for(request, pk))


def _trainings(user):
    return Training.objects.visible_to(user).select_related("township")


def _training_for(request, pk) -> Training:
    return get_object_or_404(_trainings(request.user), pk=pk)


def _training_page(request, training: Training, enrolment_form=None):
    """The training's page; a study class lists its representatives, and staff enrol more
    (``enrolment_form`` bound when a rejected enrolment is shown again)."""
    enrolments = training.enrolments.select_related("organisation", "organisation__township")
    may_enrol = training.kind == Training.Kind.STUDY_CLASS and request.user.has_perm(
        "partybuilding.add_trainingenrolment"
    )
    if may_enrol and enrolment_form is None:
        enrolment_form = EnrolmentForm(user=request.user)
    return render(
        request,
        "partybuilding/training_detail.html",
        {
            "training": training,
            "enrolments": enrolments,
            "enrolment_form": enrolment_form if may_enrol else None,
        },
    )


# ---------------------------------------------------------------------------------------------
# Forms. Bureau staff only: township offices and leaders hold only view_* and export_*
# permissions, so every page below answers them 403; records are still loaded through
# ``visible_to`` so the rule holds if a township office is ever given a write permission.
# The simple records' pages are ``RecordPages``: permissions partybuilding.add_<model_name>,
# change_ and delete_; scoping by ``records``; the services they call; their titles.


def _organisation_tab(organisation_id) -> str:
    url = reverse("registry:organisation_detail", kwargs={"pk": organisation_id})
    return f"{url}?tab=party"


def _party_organisation_create(*, data):
    """The form's ``organisations`` are the coverage (the services take only the model's fields
    from ``data``)."""
    return services.party_organisation_create(data=data, organisations=data["organisations"])


def _party_organisation_update(*, party_organisation, data, expected_version):
    return services.party_organisation_update(
        party_organisation=party_organisation,
        data=data,
        organisations=data["organisations"],
        expected_version=expected_version,
    )


party_organisations = RecordPages(
    model=PartyOrganisation,
    form_class=PartyOrganisationForm,
    records=lambda user: PartyOrganisation.objects.visible_to(user),
    name="party_organisation",
    create=_party_organisation_create,
    update=_party_organisation_update,
    record_arg="party_organisation",
    create_title=gettext_lazy("New party organisation"),
    back=(
        reverse_lazy("partybuilding:party_organisation_list"),
        gettext_lazy("Party organisations"),
    ),
)


@permission_required("partybuilding.add_instructorassignment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def instructor_assign(request, organisation_pk):
    """Assign an instructor from the organisation's party tab."""
    organisation = get_object_or_404(
        Organisation.objects.visible_to(request.user), pk=organisation_pk
    )
    back = (_organisation_tab(organisation.pk), organisation.name)
    return record_page(
        request,
        form=InstructorAssignForm(request.POST or None),
        save=lambda data, _version: services.instructor_assign(organisation=organisation, **data),
        success=lambda assignment: back[0],
        context={
            "title": _("Assign an instructor to %(name)s") % {"name": organisation.name},
            "back_url": back[0],
            "back_label": back[1],
        },
    )


@permission_required("partybuilding.change_instructorassignment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def instructor_end(request, pk):
    """End an instructor's assignment on a date."""
    assignment = get_object_or_404(
        InstructorAssignment.objects.visible_to(request.user).select_related("organisation"),
        pk=pk,
    )
    back = (_organisation_tab(assignment.organisation_id), assignment.organisation.name)
    return record_page(
        request,
        form=InstructorEndForm(request.POST or None, initial={"ends_on": timezone.localdate()}),
        save=lambda data, _version: services.instructor_assignment_end(
            assignment=assignment, ends_on=data["ends_on"]
        ),
        success=lambda ended: back[0],
        context={
            "title": _("End the assignment of %(name)s") % {"name": assignment.instructor},
            "back_url": back[0],
            "back_label": back[1],
        },
    )


demonstration_sites = RecordPages(
    model=DemonstrationSite,
    form_class=DemonstrationSiteForm,
    records=lambda user: DemonstrationSite.objects.visible_to(user).select_related("organisation"),
    name="site",
    save=services.demonstration_site_save,
    delete=services.demonstration_site_delete,
    record_arg="site",
    create_title=gettext_lazy("Name a demonstration site"),
    back=(reverse_lazy("partybuilding:site_list"), gettext_lazy("Demonstration sites")),
)

service_centres = RecordPages(
    model=PartyServiceCentre,
    form_class=PartyServiceCentreForm,
    records=lambda user: PartyServiceCentre.objects.visible_to(user),
    name="centre",
    save=services.service_centre_save,
    record_arg="centre",
    create_title=gettext_lazy("New party-mass service centre"),
    back=(reverse_lazy("partybuilding:centre_list"), gettext_lazy("Party-mass service centres")),
)

trainings = RecordPages(
    model=Training,
    form_class=TrainingForm,
    records=_trainings,
    name="training",
    create=services.training_create,
    update=services.training_update,
    delete=services.training_delete,
    record_arg="training",
    create_title=gettext_lazy("New training"),
    label=attrgetter("title"),
    back=(reverse_lazy("partybuilding:training_list"), gettext_lazy("Trainings")),
    detail=lambda training: (
        reverse("partybuilding:training_detail", args=[training.pk]),
        training.title,
    ),
)


@permission_required("partybuilding.add_trainingenrolment", raise_exception=True)
@require_POST
def enrolment_add(request, pk):
    """Enrol a representative in a study class from the training's page; a refusal shows the
    page again with the message at its field."""
    training = _training_for(request, pk)
    if training.kind != Training.Kind.STUDY_CLASS:
        messages.error(request, _("Only a study class has enrolled representatives."))
        return redirect("partybuilding:training_detail", pk=pk)
    form = EnrolmentForm(
        request.POST, instance=TrainingEnrolment(training=training), user=request.user
    )
    if form.is_valid():
        try:
            services.enrolment_add(training=training, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Representative enrolled."))
            return redirect("partybuilding:training_detail", pk=pk)
    return _training_page(request, training, enrolment_form=form)


@permission_required("partybuilding.delete_trainingenrolment", raise_exception=True)
@require_POST
def enrolment_remove(request, pk, enrolment_pk):
    training = _training_for(request, pk)
    enrolment = get_object_or_404(training.enrolments, pk=enrolment_pk)
    services.enrolment_remove(enrolment=enrolment)
    messages.success(request, _("Representative removed."))
    return redirect("partybuilding:training_detail", pk=pk)


# ---------------------------------------------------------------------------------------------
# The organisation page's tab


def party_tab(request, organisation: Organisation):
    today = timezone.localdate()
    annotated = with_coverage(Organisation.objects.filter(pk=organisation.pk), today).get()
    return {
        "organisation_id": organisation.pk,
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
