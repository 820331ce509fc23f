import datetime

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Count, Prefetch, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenhai_so import dataversion, jobs
from zhenhai_so.display import change_rows
from zhenhai_so.excel import export_response
from zhenhai_so.importing import list_export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from . import services
from .filters import AnnualReportFilter, ApplicationFilter, ListEntryFilter, OrganisationFilter
from .forms import (
    AnnualReportForm,
    ApplicationOrganisationForm,
    ApprovalFactsForm,
    DecisionForm,
    DeregistrationForm,
    FiledOrganisationForm,
    InspectionForm,
    InspectorForm,
    ListEntryForm,
    ListRemovalForm,
    OrganisationForm,
    SpotCheckPlanForm,
    SpotCheckResultForm,
)
from .models import (
    LEGAL_TYPES,
    AnnualReport,
    Community,
    DrawnOrganisation,
    Inspection,
    Inspector,
    ListEntry,
    Organisation,
    OrgType,
    RegistrationApplication,
    SpotCheckPlan,
    Township,
)
from .resources import ANNUAL_REPORTS, ORGANISATIONS
from .tabs import tabs_for


def _today() -> datetime.date:
    return timezone.localdate()


def get_organisation_for(request, pk, *, write=False) -> Organisation:
    """The organisation if the user may see it (404 otherwise); with ``write``, 403 unless the
    user may change it: staff any, township offices only filed community organisations."""
    organisation = get_object_or_404(
        Organisation.objects.visible_to(request.user).select_related("township", "community"), pk=pk
    )
    if write:
        if not request.user.has_perm("registry.change_organisation"):
            raise PermissionDenied
        if request.user.is_township_office and organisation.org_type != OrgType.COMMUNITY:
            raise PermissionDenied
    return organisation


def _stale_message(request, error: services.StaleEdit):
    names = [str(type(error.current)._meta.get_field(f).verbose_name) for f in error.fields]
    messages.error(
        request,
        _(
            "Someone else saved this record after you opened it; nothing was saved. "
            "Fields that now differ from yours: %(fields)s. "
            "The form shows the stored values; enter your changes again."
        )
        % {"fields": "、".join(names) or _("none")},
    )


def refusal_text(error: ValidationError, model=Organisation) -> str:
    """A refusal in words, each message after the label of its field, so nothing reads "this
    value cannot be null" without saying which value. HTML-safe: a message naming another
    record keeps its link."""
    if not hasattr(error, "error_dict"):
        return mark_safe("; ".join(conditional_escape(m) for m in error))  # noqa: S308  # nosec B308 B703
    parts = []
    for name, errors in error.error_dict.items():
        for item in errors:
            code = getattr(item, "code", None)
            message = (
                _("This field is required.")
                if code in ("null", "blank", "required")
                else next(iter(item))
            )
            if name == NON_FIELD_ERRORS:
                parts.append(conditional_escape(message))
                continue
            try:
                label = capfirst(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
            parts.append(
                conditional_escape(_("%(field)s: %(message)s"))
                % {"field": conditional_escape(label), "message": conditional_escape(message)}
            )
    return mark_safe("; ".join(parts))  # noqa: S308  # nosec B308 B703 (every part escaped)


# ---------------------------------------------------------------------------------------------
# Overview and reference pages


@permission_required("registry.view_organisation", raise_exception=True)
@require_GET
def overview(request):
    """The register at a glance for the user's scope."""
    today = _today()
    orgs = Organisation.objects.visible_to(request.user).active_on(today)
    by_type = dict(orgs.values_list("org_type").annotate(n=Count("id")).order_by())
    type_rows = [(label, by_type.get(value, 0), value) for value, label in OrgType.choices]
    legal_total = sum(by_type.get(t, 0) for t in LEGAL_TYPES)
    active = Q(organisations__registered_on__lte=today) & (
        Q(organisations__dissolved_on__isnull=True) | Q(organisations__dissolved_on__gt=today)
    )
    townships = Township.objects.visible_to(request.user).annotate(
        legal=Count("organisations", filter=active & Q(organisations__org_type__in=LEGAL_TYPES)),
        filed=Count("organisations", filter=active & Q(organisations__org_type=OrgType.COMMUNITY)),
    )
    report_year = today.year - 1 if today > datetime.date(today.year, 5, 31) else today.year - 2
    obliged = (
        Organisation.objects.visible_to(request.user)
        .legal_on(datetime.date(report_year, 12, 31))
        .filter(registered_on__lt=datetime.date(report_year, 1, 1))
    )
    received = AnnualReport.objects.filter(
        organisation__in=obliged, year=report_year, submitted_on__isnull=False
    ).count()
    chart = {
        "types": [{"name": str(label), "value": count} for label, count, _v in type_rows if count],
        "townships": [t.name for t in townships],
        "legal": [t.legal for t in townships],
        "filed": [t.filed for t in townships],
        "labels": {"legal": _("Legal organisations"), "filed": _("Filed community organisations")},
    }
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
        "chart": chart,
    }
    return render(request, "registry/overview.html", context)


@permission_required("zhenhai_so.view_reference", raise_exception=True)
@require_GET
def township_list(request):
    townships = Township.objects.visible_to(request.user).annotate(
        urban=Count("communities", filter=Q(communities__kind=Community.Kind.URBAN)),
        rural=Count("communities", filter=Q(communities__kind=Community.Kind.RURAL)),
    )
    return render(request, "registry/township_list.html", {"townships": townships})


@permission_required("zhenhai_so.view_reference", raise_exception=True)
@require_GET
def township_detail(request, pk):
    township = get_object_or_404(Township.objects.visible_to(request.user), pk=pk)
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


# ---------------------------------------------------------------------------------------------
# Organisations


@jobs.export_builder
def organisation_export(*, user, params: dict) -> jobs.Export:
    """The organisation list's export as a background job: the list's filter from the query
    string in ``params``, scoped to the user who asked."""
    queryset = _organisation_filter(QueryDict(params.get("query", "")), user).qs
    sheet = jobs.Sheet(
        _("Organisations"),
        ORGANISATIONS.list_headers,
        ORGANISATIONS.list_rows(queryset, user=user),
        queryset.count(),
    )
    return jobs.Export("organisations", [sheet])


@permission_required("registry.view_organisation", raise_exception=True)
@require_GET
def organisation_list(request):
    if request.GET.get("export") == "xlsx":
        return _organisation_list_export(request)
    can_export = request.user.has_perm("registry.export_organisation")
    querystring = querystring_without_page(request)

    def render_parts() -> dict[str, str]:
        org_filter = _organisation_filter(request.GET, request.user)
        page = paginate(request, org_filter.qs)
        filter_context = {
            "filter": org_filter,
            "export": can_export,
            "querystring": querystring,
            "request": request,
        }
        return {
            "filter_form": render_to_string("includes/filter_form.html", filter_context),
            "results": render_to_string(
                "registry/includes/organisation_results.html",
                {"page": page, "querystring": querystring},
            ),
        }

    # The filter form, the table and its pager depend on the data, the query, the user's
    # township, the day (grades expire), the language and the export button only: kept under
    # the data version, as the dashboard is, so a page asked for again reads no organisation.
    query = sorted((key, values) for key, values in request.GET.lists())
    inputs = (request.user.scope_township_id, can_export, _today(), get_language(), query)
    parts = dataversion.cached("organisation-list", inputs, render_parts)
    return render(request, "registry/organisation_list.html", parts)


def _organisation_filter(query, user) -> OrganisationFilter:
    """The register list's filter of ``query`` over the organisations ``user`` may see: the
    page, its export and the background export read the same rows."""
    organisations = Organisation.objects.visible_to(user).for_list()
    return OrganisationFilter(query, queryset=organisations, user=user)


def _organisation_list_export(request):
    """The filtered register as a workbook: at once when small, as a background export (with
    its progress page) above ``jobs.background_rows()``."""
    if not request.user.has_perm("registry.export_organisation"):
        raise PermissionDenied
    org_filter = _organisation_filter(request.GET, request.user)
    if org_filter.qs.count() > jobs.background_rows():
        query = request.GET.copy()
        query.pop("export", None)
        download = jobs.start_export(
            user=request.user,
            kind=organisation_export,
            title=_("Organisations"),
            params={"query": query.urlencode()},
        )
        jobs.message_queued(request, download)
        return redirect("jobs:download_detail", pk=download.pk)
    return list_export_response(ORGANISATIONS, org_filter.qs, user=request.user)


def _basic_tab(request, organisation):
    today = _today()
    return {
        "open_entries": [e for e in organisation.list_entries.all() if e.removed_on is None],
        "applications": organisation.applications.all()[:10],
        "today": today,
    }


def _reports_tab(request, organisation):
    today = _today()
    reports = {r.year: r for r in organisation.annual_reports.all()}
    rows = [
        {
            "year": y,
            "report": reports.get(y),
            "status": services.reporting_status(reports.get(y), y, today),
        }
        for y in services.report_years(organisation, reports, today)
    ]
    return {"rows": rows, "can_edit": request.user.has_perm("registry.change_annualreport")}


def _inspections_tab(request, organisation):
    return {"inspections": organisation.inspections.all()}


def _lists_tab(request, organisation):
    return {"entries": organisation.list_entries.select_related("listed_by", "removed_by")}


def _history_tab(request, organisation):
    ids_by_model = {
        Organisation: [organisation.pk],
        AnnualReport: list(organisation.annual_reports.values_list("pk", flat=True)),
        Inspection: list(organisation.inspections.values_list("pk", flat=True)),
        ListEntry: list(organisation.list_entries.values_list("pk", flat=True)),
    }
    types = ContentType.objects.get_for_models(*ids_by_model)
    condition = Q()
    for model, ids in ids_by_model.items():
        if ids:
            condition |= Q(content_type=types[model], object_id__in=ids)
    entries = LogEntry.objects.filter(condition).select_related("actor", "content_type")
    return {"entries": change_rows(entries.order_by("-timestamp")[:200])}


@permission_required("registry.view_organisation", raise_exception=True)
@require_GET
def organisation_detail(request, pk):
    organisation = get_organisation_for(request, pk)
    tabs = tabs_for(request.user)
    current = next((t for t in tabs if t.key == request.GET.get("tab")), tabs[0])
    return render(
        request,
        "registry/organisation_detail.html",
        {
            "organisation": organisation,
            "tabs": tabs,
            "tab": current,
            "tab_context": current.context(request, organisation),
            "can_edit": _can_edit(request.user, organisation),
        },
    )


def _can_edit(user, organisation) -> bool:
    if not user.has_perm("registry.change_organisation"):
        return False
    return not (user.is_township_office and organisation.org_type != OrgType.COMMUNITY)


def _form_class_for(user):
    return FiledOrganisationForm if user.is_township_office else OrganisationForm


@permission_required("registry.add_organisation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    """Staff register directly (e.g. entering historical records); townships file community SOs."""
    form_class = _form_class_for(request.user)
    form = form_class(request.POST or None, user=request.user)
    if request.user.is_township_office:
        form.instance.township_id = request.user.township_id
        form.instance.org_type, form.instance.registration_mode = (
            services.filed_defaults()["org_type"],
            services.filed_defaults()["registration_mode"],
        )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if request.user.is_township_office:
            data |= services.filed_defaults() | {"township": request.user.township}
        try:
            organisation = services.organisation_create(data=data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Organisation %(name)s saved.") % {"name": organisation.name}
            )
            return redirect("registry:organisation_detail", pk=organisation.pk)
    return render(request, "registry/organisation_form.html", {"form": form, "creating": True})


@permission_required("registry.change_organisation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk):
    organisation = get_organisation_for(request, pk, write=True)
    form = _form_class_for(request.user)(
        request.POST or None, instance=organisation, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.organisation_update(
                organisation=organisation, data=data, expected_version=form.cleaned_data["version"]
            )
        except services.StaleEdit as error:
            _stale_message(request, error)
            form = _form_class_for(request.user)(instance=error.current, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("registry:organisation_detail", pk=organisation.pk)
    return render(
        request, "registry/organisation_form.html", {"form": form, "organisation": organisation}
    )


# ---------------------------------------------------------------------------------------------
# Registration applications


def get_application_for(request, pk) -> RegistrationApplication:
    return get_object_or_404(
        RegistrationApplication.objects.visible_to(request.user).select_related(
            "township", "organisation", "created_by"
        ),
        pk=pk,
    )


@permission_required("registry.view_registrationapplication", raise_exception=True)
@require_GET
def application_list(request):
    applications = RegistrationApplication.objects.visible_to(request.user).select_related(
        "township", "created_by"
    )
    params = request.GET.copy()
    if "state" not in params and request.user.has_perm("registry.change_registrationapplication"):
        params["state"] = RegistrationApplication.State.SUBMITTED  # staff open on their queue
    app_filter = ApplicationFilter(params, queryset=applications, user=request.user)
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                a.pk,
                a.get_kind_display(),
                a.name,
                a.township.name,
                a.get_state_display(),
                a.applicant,
                a.updated_at,
                a.reason,
            )
            for a in app_filter.qs.iterator(chunk_size=2000)
        )
        headers = ["编号", "类型", "组织名称", "所属镇街", "状态", "申请人", "更新时间", "意见"]
        return export_response("applications", _("Applications"), headers, rows)
    page = paginate(request, app_filter.qs)
    return render(
        request,
        "registry/application_list.html",
        {"filter": app_filter, "page": page, "querystring": querystring_without_page(request)},
    )


def _application_form(request, application, kind, organisation):
    if kind == RegistrationApplication.Kind.DEREGISTER:
        initial = {}
        if application:
            initial = {
                "dissolved_on": application.data.get("dissolved_on"),
                "reason": application.data.get("reason", ""),
                "applicant": application.applicant,
            }
        return DeregistrationForm(request.POST or None, initial=initial)
    instance = (
        Organisation(**services._organisation_values(application.data))
        if application
        else (Organisation.objects.get(pk=organisation.pk) if organisation else Organisation())
    )
    form = ApplicationOrganisationForm(
        request.POST or None,
        instance=instance,
        user=request.user,
        initial={"applicant": application.applicant} if application else None,
    )
    return form


@permission_required("registry.add_registrationapplication", raise_exception=True)
@require_http_methods(["GET", "POST"])
def application_create(request, kind, org_pk=None):
    """Open an application: establishment (no organisation yet), change or deregistration."""
    if kind not in RegistrationApplication.Kind.values:
        raise PermissionDenied
    organisation = get_organisation_for(request, org_pk) if org_pk else None
    if (kind == RegistrationApplication.Kind.ESTABLISH) != (organisation is None):
        raise PermissionDenied
    return _application_edit(request, None, kind, organisation)


@permission_required("registry.change_registrationapplication", raise_exception=True)
@require_http_methods(["GET", "POST"])
def application_edit(request, pk):
    application = get_application_for(request, pk)
    if application.state not in (
        RegistrationApplication.State.DRAFT,
        RegistrationApplication.State.RETURNED,
    ):
        messages.error(request, _("Only a draft or a returned application can be edited."))
        return redirect("registry:application_detail", pk=pk)
    return _application_edit(request, application, application.kind, application.organisation)


def _application_edit(request, application, kind, organisation):
    form = _application_form(request, application, kind, organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if kind == RegistrationApplication.Kind.DEREGISTER:
            payload = {"dissolved_on": data["dissolved_on"].isoformat(), "reason": data["reason"]}
            township = organisation.township
        else:
            payload = services.application_data(data)
            township = data.get("township") or (organisation.township if organisation else None)
        if township is None:
            form.add_error("township", _("Choose the township."))
        else:
            application = services.application_save_draft(
                application=application,
                kind=kind,
                actor=request.user,
                data=payload,
                township=township,
                organisation=organisation,
                applicant=data.get("applicant", ""),
            )
            if "submit" in request.POST:
                try:
                    services.application_submit(application=application, actor=request.user)
                except ValidationError as error:
                    messages.error(
                        request,
                        mark_safe(  # noqa: S308  # nosec B308 B703 (sentence escaped, refusal safe)
                            conditional_escape(_("Saved as a draft, but not submitted: %(errors)s"))
                            % {"errors": refusal_text(error)}
                        ),
                    )
                    return redirect("registry:application_edit", pk=application.pk)
                messages.success(request, _("Application submitted for review."))
            else:
                messages.success(request, _("Draft saved."))
            return redirect("registry:application_detail", pk=application.pk)
    return render(
        request,
        "registry/application_form.html",
        {
            "form": form,
            "application": application,
            "kind": kind,
            "organisation": organisation,
            "kind_label": RegistrationApplication.Kind(kind).label,
        },
    )


@permission_required("registry.view_registrationapplication", raise_exception=True)
@require_GET
def application_detail(request, pk):
    application = get_application_for(request, pk)
    proposed = []
    if application.kind != RegistrationApplication.Kind.DEREGISTER:
        values = services._organisation_values(application.data)
        preview = Organisation(**values)
        current = application.organisation
        for name in application.data:
            field = Organisation._meta.get_field(name)
            shown = _display(preview, field)
            before = _display(current, field) if current else None
            proposed.append(
                {
                    "label": field.verbose_name,
                    "value": shown,
                    "before": before,
                    "changed": current is not None and before != shown,
                }
            )
    submitter = services.submitted_by(application)
    approval_form = None
    if application.kind == RegistrationApplication.Kind.ESTABLISH:
        approval_form = ApprovalFactsForm(
            initial={
                "registered_on": application.data.get("registered_on") or _today(),
                "credit_code": application.data.get("credit_code") or "",
            }
        )
    return render(
        request,
        "registry/application_detail.html",
        {
            "application": application,
            "proposed": proposed,
            "steps": application.steps.select_related("actor"),
            "decision_form": DecisionForm(),
            "approval_form": approval_form,
            "submitter": submitter,
            "may_approve": submitter is None or submitter.pk != request.user.pk,
        },
    )


def _display(instance, field):
    if field.is_relation:
        related_id = getattr(instance, field.attname)
        if related_id is None:
            return ""
        return str(field.related_model.objects.filter(pk=related_id).first() or "")
    if field.choices:
        return str(getattr(instance, f"get_{field.name}_display")())
    value = getattr(instance, field.name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


@permission_required("registry.change_registrationapplication", raise_exception=True)
@require_POST
def application_action(request, pk, action):
    """Submit, return, approve or reject, each recorded with who, when and why."""
    application = get_application_for(request, pk)
    form = DecisionForm(request.POST)
    reason = form.data.get("reason", "")[:2000]
    try:
        if action == "submit":
            services.application_submit(application=application, actor=request.user)
            messages.success(request, _("Application submitted for review."))
        elif action == "return":
            services.application_return(application=application, actor=request.user, reason=reason)
            messages.success(request, _("Application returned to the applicant."))
        elif action == "approve":
            facts_form = ApprovalFactsForm(request.POST)
            if not facts_form.is_valid():
                raise ValidationError(facts_form.errors.as_data())
            services.application_approve(
                application=application,
                actor=request.user,
                note=reason,
                facts=facts_form.cleaned_data,
            )
            messages.success(request, _("Application approved and applied to the register."))
        elif action == "reject":
            services.application_reject(application=application, actor=request.user, reason=reason)
            messages.success(request, _("Application rejected."))
        else:
            raise PermissionDenied
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    return redirect("registry:application_detail", pk=application.pk)


# ---------------------------------------------------------------------------------------------
# Annual reports


def _report_year(request) -> int:
    today = _today()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = today.year - 1 if today > datetime.date(today.year, 5, 31) else today.year - 2
    return max(2000, min(year, today.year))


def _year_reports(year: int) -> Prefetch:
    return Prefetch(
        "annual_reports", queryset=AnnualReport.objects.filter(year=year), to_attr="year_reports"
    )


def _board_rows(rows, year: int, today: datetime.date):
    blank = (None,) * (len(ANNUAL_REPORTS.columns) - 2)
    organisations = services.attach_reporting_status(rows.iterator(chunk_size=2000), year, today)
    for o in organisations:
        report = o.year_reports[0] if o.year_reports else None
        if report is not None:
            report.organisation = o
            sheet = ANNUAL_REPORTS.export_row(report)
        else:
            sheet = (o.credit_code, year, *blank)
        days = o.status["days"]
        yield (*sheet, o.name, o.township.name, STATUS_LABELS[o.status["code"]], days)


@permission_required("registry.view_annualreport", raise_exception=True)
@require_GET
def annual_report_board(request):
    """Every organisation obliged to report for a year, with its reporting status: received on
    time, N days late, not yet due, or overdue N days. Obliged: legal on 31 Dec of the year and
    registered before 1 Jan of it (TARGETS.md R5). Statuses are computed in the database, so the
    page costs the same at 400 or 20,000 organisations."""
    year = _report_year(request)
    today = _today()
    obliged = (
        Organisation.objects.visible_to(request.user)
        .legal_on(datetime.date(year, 12, 31))
        .filter(registered_on__lt=datetime.date(year, 1, 1))
    )
    board_filter = AnnualReportFilter(request.GET, queryset=obliged, user=request.user)
    rows = services.with_reporting_status(board_filter.qs, year, today)
    counts = rows.aggregate(
        **{code: Count("pk", filter=Q(status_code=code)) for code in services.REPORTING_CODES}
    )
    only = request.GET.get("only", "")
    ordering = ("township__order", "name", "pk")
    if only in services.REPORTING_CODES:
        rows = rows.filter(status_code=only)
    rows = rows.select_related("township").order_by(*ordering)
    if request.GET.get("export") == "xlsx":
        # The annual-reports sheet (what the import takes back unchanged) with the board's own
        # columns read-only; an organisation without a report gives a row with its code and
        # the year only, which the import skips.
        return export_response(
            f"annual-reports-{year}",
            str(year),
            ANNUAL_REPORTS.list_headers,
            _board_rows(rows.prefetch_related(_year_reports(year)), year, today),
        )
    # The page is ordered and cut on the organisations alone (no report join over every obliged
    # organisation), its statuses read for its 50 rows only, and its count is the counts' sum:
    # at 100,000 organisations this is what keeps the board under its 400 ms.
    listed = board_filter.qs
    if only in services.REPORTING_CODES:
        listed = listed.filter(services.reporting_status_q(only, year, today))
    total = counts[only] if only in services.REPORTING_CODES else sum(counts.values())
    page = paginate(request, listed.order_by(*ordering).values_list("pk", flat=True), 50, total)
    by_pk = {
        o.pk: o
        for o in services.with_reporting_status(
            Organisation.objects.filter(pk__in=list(page.object_list)), year, today
        ).select_related("township")
    }
    page.object_list = list(
        services.attach_reporting_status([by_pk[pk] for pk in page.object_list], year, today)
    )
    return render(
        request,
        "registry/annual_report_board.html",
        {
            "year": year,
            "filter": board_filter,
            "page": page,
            "counts": counts,
            "only": only,
            "querystring": querystring_without_page(request),
            "due": services.annual_report_due_date(year),
            "years": range(today.year, 2014, -1),
        },
    )


STATUS_LABELS = {
    "on_time": "按时报送",
    "late": "逾期报送",
    "not_due": "未到期",
    "overdue": "逾期未报",
}


@permission_required("registry.add_listentry", raise_exception=True)
@require_POST
def annual_report_list_overdue(request):
    """One action: put every selected organisation whose report is overdue on the abnormal list."""
    today = _today()
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        raise PermissionDenied from None
    if not 2000 <= year <= today.year:  # the board's own range (_report_year)
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("organisation") if i.isascii() and i.isdigit()]
    candidates = Organisation.objects.visible_to(request.user).filter(pk__in=ids)
    overdue = list(
        services.with_reporting_status(candidates, year, today)
        .filter(status_code="overdue")
        .select_related("township")
        .order_by("township__order", "name", "pk")
    )
    back = f"{_reverse('registry:annual_report_board')}?year={year}&only=overdue"
    if not overdue:
        messages.warning(request, _("Tick the organisations to put on the abnormal list first."))
        return redirect(back)
    if request.POST.get("confirm") != "1":
        # Nothing is listed before the user has seen how many and which.
        return render(
            request,
            "registry/annual_report_list_overdue_confirm.html",
            {"year": year, "organisations": overdue, "back": back},
        )
    entries = services.list_overdue_reporters(organisations=overdue, year=year, actor=request.user)
    messages.success(
        request,
        _("%(n)d organisations put on the abnormal list: %(names)s.")
        % {"n": len(entries), "names": "、".join(e.organisation.name for e in entries) or "—"},
    )
    return redirect(back)


def _reverse(name, **kwargs):
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


@permission_required("registry.view_annualreport", raise_exception=True)
@require_http_methods(["GET", "POST"])
def annual_report_edit(request, pk, year):
    # The organisation first: another township's is a 404, as everywhere, before the 403 that
    # would tell it exists.
    organisation = get_organisation_for(request, pk)
    if not request.user.has_perm("registry.change_annualreport"):
        raise PermissionDenied
    if not organisation.is_legal:
        raise PermissionDenied
    if not (organisation.registered_on.year <= year <= _today().year):
        raise PermissionDenied
    report = AnnualReport.objects.filter(organisation=organisation, year=year).first()
    form = AnnualReportForm(
        request.POST or None, instance=report or AnnualReport(organisation=organisation, year=year)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.annual_report_save(
                organisation=organisation,
                year=year,
                data=data,
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleEdit as error:
            _stale_message(request, error)
            form = AnnualReportForm(instance=error.current)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Annual report saved."))
            return redirect(
                f"{_reverse('registry:organisation_detail', pk=organisation.pk)}?tab=reports"
            )
    return render(
        request,
        "registry/annual_report_form.html",
        {"form": form, "organisation": organisation, "year": year, "report": report},
    )


# ---------------------------------------------------------------------------------------------
# Inspections and lists


@permission_required("registry.view_inspection", raise_exception=True)
@require_GET
def inspection_list(request):
    inspections = Inspection.objects.visible_to(request.user).select_related(
        "organisation", "organisation__township"
    )
    try:
        year = int(request.GET.get("year", ""))
        inspections = inspections.filter(inspected_on__year=year)
    except ValueError:
        year = None
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                i.organisation.name,
                i.organisation.township.name,
                i.inspected_on,
                i.inspectors,
                i.get_result_display(),
                i.findings,
                i.published_on,
            )
            for i in inspections.iterator(chunk_size=2000)
        )
        headers = [
            "组织名称",
            "所属镇街",
            "检查日期",
            "检查人员",
            "检查结果",
            "发现问题",
            "结果公示日期",
        ]
        return export_response("inspections", _("Inspections"), headers, rows)
    page = paginate(request, inspections)
    return render(
        request,
        "registry/inspection_list.html",
        {
            "page": page,
            "year": year,
            "querystring": querystring_without_page(request),
            "years": range(_today().year, 2014, -1),
        },
    )


@permission_required("registry.add_inspection", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inspection_create(request, pk):
    organisation = get_organisation_for(request, pk)
    form = InspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.inspection_record(organisation=organisation, data=form.cleaned_data)
        messages.success(request, _("Inspection recorded."))
        return redirect(
            f"{_reverse('registry:organisation_detail', pk=organisation.pk)}?tab=inspections"
        )
    return render(
        request, "registry/inspection_form.html", {"form": form, "organisation": organisation}
    )


@permission_required("registry.view_listentry", raise_exception=True)
@require_GET
def list_entry_list(request):
    entries = ListEntry.objects.visible_to(request.user).select_related(
        "organisation", "organisation__township"
    )
    params = request.GET.copy()
    params.setdefault("current", "true")
    entry_filter = ListEntryFilter(params, queryset=entries)
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                e.organisation.credit_code,
                e.organisation.name,
                e.organisation.township.name,
                e.get_kind_display(),
                e.get_reason_display(),
                e.details,
                e.listed_on,
                e.removed_on,
                e.removal_reason,
            )
            for e in entry_filter.qs.iterator(chunk_size=2000)
        )
        headers = [
            "统一社会信用代码",
            "组织名称",
            "所属镇街",
            "名录",
            "列入事由",
            "说明",
            "列入日期",
            "移出日期",
            "移出事由",
        ]
        return export_response("list-entries", _("Lists"), headers, rows)
    page = paginate(request, entry_filter.qs)
    return render(
        request,
        "registry/list_entry_list.html",
        {"filter": entry_filter, "page": page, "querystring": querystring_without_page(request)},
    )


@permission_required("registry.add_listentry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_entry_create(request, pk):
    organisation = get_organisation_for(request, pk)
    form = ListEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.list_entry_add(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organisation listed."))
            return redirect(
                f"{_reverse('registry:organisation_detail', pk=organisation.pk)}?tab=lists"
            )
    return render(
        request, "registry/list_entry_form.html", {"form": form, "organisation": organisation}
    )


@permission_required("registry.change_listentry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def list_entry_remove(request, pk):
    entry = get_object_or_404(
        ListEntry.objects.visible_to(request.user).select_related("organisation"), pk=pk
    )
    form = ListRemovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.list_entry_remove(
                entry=entry,
                removed_on=form.cleaned_data["removed_on"],
                reason=form.cleaned_data["removal_reason"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organisation removed from the list; the entry is kept."))
            return redirect(
                f"{_reverse('registry:organisation_detail', pk=entry.organisation_id)}?tab=lists"
            )
    return render(request, "registry/list_entry_remove.html", {"form": form, "entry": entry})


# ---------------------------------------------------------------------------------------------
# 双随机、一公开: plans, the inspectors' pool, the draw and its results


@permission_required("registry.view_spotcheckplan", raise_exception=True)
@require_GET
def spot_check_list(request):
    plans = SpotCheckPlan.objects.visible_to(request.user).annotate(
        drawn_count=Count("drawn", distinct=True),
        recorded=Count("drawn", filter=Q(drawn__inspection__isnull=False), distinct=True),
    )
    return render(request, "registry/spot_check_list.html", {"plans": plans})


@permission_required("registry.add_spotcheckplan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def spot_check_create(request):
    form = SpotCheckPlanForm(request.POST or None, initial={"year": _today().year})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "townships"}
        try:
            plan = services.spot_check_plan_create(
                data=data, townships=form.cleaned_data["townships"], actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Plan saved; draw it when the pools are ready."))
            return redirect("registry:spot_check_detail", pk=plan.pk)
    return render(request, "registry/spot_check_form.html", {"form": form})


def _get_plan(request, pk) -> SpotCheckPlan:
    return get_object_or_404(SpotCheckPlan.objects.visible_to(request.user), pk=pk)


@permission_required("registry.view_spotcheckplan", raise_exception=True)
@require_GET
def spot_check_detail(request, pk):
    plan = _get_plan(request, pk)
    drawn = plan.drawn.select_related(
        "organisation", "organisation__township", "inspection"
    ).prefetch_related("inspectors")
    labels = dict(OrgType.choices)
    return render(
        request,
        "registry/spot_check_detail.html",
        {
            "plan": plan,
            "drawn": drawn,
            "types": [labels.get(t, t) for t in plan.org_types],
            "townships": plan.townships.all(),
            "pool_size": len(plan.organisation_pool),
            "inspector_count": len(plan.inspector_pool),
        },
    )


@permission_required("registry.change_spotcheckplan", raise_exception=True)
@require_POST
def spot_check_draw(request, pk):
    plan = _get_plan(request, pk)
    try:
        plan = services.spot_check_draw(plan=plan, actor=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error, SpotCheckPlan))
    else:
        messages.success(
            request,
            _("Drawn: %(n)d organisations, seed %(seed)s.")
            % {"n": plan.drawn.count(), "seed": plan.seed},
        )
    return redirect("registry:spot_check_detail", pk=plan.pk)


@permission_required("registry.add_inspection", raise_exception=True)
@require_http_methods(["GET", "POST"])
def spot_check_result(request, pk):
    drawn = get_object_or_404(
        DrawnOrganisation.objects.filter(
            plan__in=SpotCheckPlan.objects.visible_to(request.user),
            organisation__in=Organisation.objects.visible_to(request.user),
        ).select_related("plan", "organisation", "inspection"),
        pk=pk,
    )
    form = SpotCheckResultForm(request.POST or None, instance=drawn.inspection or Inspection())
    if request.method == "POST" and form.is_valid():
        try:
            services.spot_check_result_record(drawn=drawn, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Result recorded."))
            return redirect("registry:spot_check_detail", pk=drawn.plan_id)
    return render(
        request,
        "registry/spot_check_result.html",
        {"form": form, "drawn": drawn, "inspectors": drawn.inspectors.all()},
    )


@permission_required("registry.view_inspector", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inspector_list(request):
    """The pool of inspectors; staff add to it on the same page."""
    can_add = request.user.has_perm("registry.add_inspector")
    if request.method == "POST" and not can_add:
        raise PermissionDenied
    form = InspectorForm(request.POST or None) if can_add else None
    if form is not None and request.method == "POST" and form.is_valid():
        services.inspector_save(
            inspector=None,
            data={k: v for k, v in form.cleaned_data.items() if k != "linked_codes"},
            linked=form.cleaned_data["linked_codes"],
        )
        messages.success(request, _("Inspector added to the pool."))
        return redirect("registry:inspector_list")
    inspectors = Inspector.objects.annotate(links=Count("linked_organisations"))
    return render(request, "registry/inspector_list.html", {"inspectors": inspectors, "form": form})


@permission_required("registry.change_inspector", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inspector_edit(request, pk):
    inspector = get_object_or_404(Inspector, pk=pk)
    form = InspectorForm(request.POST or None, instance=inspector)
    if request.method == "POST" and form.is_valid():
        services.inspector_save(
            inspector=inspector,
            data={k: v for k, v in form.cleaned_data.items() if k != "linked_codes"},
            linked=form.cleaned_data["linked_codes"],
        )
        messages.success(request, _("Changes saved."))
        return redirect("registry:inspector_list")
    return render(request, "registry/inspector_form.html", {"form": form, "inspector": inspector})
