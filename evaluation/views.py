import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry.models import LEGAL_TYPES, Grade, Organisation
from zhenhai_so.excel import export_response, new_workbook, workbook_response, write_sheet
from zhenhai_so.importing import list_export_response
from zhenhai_so.pagination import paginate, querystring_without_page

from . import services
from .filters import EvaluationFilter, OrganisationGradeFilter
from .forms import (
    ConfirmForm,
    EvaluationCreateForm,
    NoteForm,
    NoticeForm,
    PublishForm,
    ReviewDecideForm,
    ReviewRequestForm,
    ScoreForm,
)
from .models import Category, Evaluation, IndicatorSystem, Item, Review, Score
from .resources import EVALUATIONS

EXPIRY_WINDOW_DAYS = 90


def _today() -> datetime.date:
    return timezone.localdate()


def get_evaluation_for(request, pk) -> Evaluation:
    """The evaluation if the user may see its organisation, 404 otherwise."""
    return get_object_or_404(
        Evaluation.objects.visible_to(request.user).select_related(
            "organisation", "organisation__township", "system"
        ),
        pk=pk,
    )


def _detail_url(evaluation) -> str:
    return reverse("evaluation:evaluation_detail", kwargs={"pk": evaluation.pk})


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, "; ".join(error.messages))


# ---------------------------------------------------------------------------------------------
# The list


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def evaluation_list(request):
    evaluations = Evaluation.objects.visible_to(request.user).for_list()
    evaluation_filter = EvaluationFilter(request.GET, queryset=evaluations, user=request.user)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("evaluation.export_evaluation"):
            raise PermissionDenied
        return list_export_response(EVALUATIONS, evaluation_filter.qs, user=request.user)
    page = paginate(request, evaluation_filter.qs)
    return render(
        request,
        "evaluation/evaluation_list.html",
        {
            "filter": evaluation_filter,
            "page": page,
            "querystring": querystring_without_page(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# One evaluation


@permission_required("evaluation.add_evaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_create(request):
    organisations = Organisation.objects.visible_to(request.user).legal()
    initial = {}
    preset = request.GET.get("organisation", "")
    if preset.isascii() and preset.isdigit():  # "²".isdigit() is True, int("²") fails
        organisation = organisations.filter(pk=preset).first()
        if organisation:
            initial["credit_code"] = organisation.credit_code
    form = EvaluationCreateForm(request.POST or None, initial=initial, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evaluation = services.evaluation_create(
                organisation=data["organisation"],
                system=data["system"],
                agency=data["agency"],
                evaluated_on=data["evaluated_on"],
                year=data["year"],
                actor=request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):  # the organisation is chosen by its credit code
                fields = {"organisation": "credit_code"}
                for name, errors in error.error_dict.items():
                    name = fields.get(name, name)
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Evaluation opened; enter the scores."))
            return redirect("evaluation:evaluation_scores", pk=evaluation.pk)
    return render(request, "evaluation/evaluation_create.html", {"form": form})


def _category_rows(evaluation, scores: dict):
    """Categories of the evaluation's system with their items, maxima and subtotals."""
    rows = []
    categories = evaluation.system.categories.prefetch_related(
        Prefetch("items", queryset=Item.objects.order_by("order"))
    )
    for category in categories:
        items = list(category.items.all())
        maximum = sum((i.max_points for i in items), Decimal(0))
        got = [scores[i.pk] for i in items if i.pk in scores]
        rows.append(
            {
                "category": category,
                "items": [(i, scores.get(i.pk)) for i in items],
                "max": maximum,
                "subtotal": sum(got, Decimal(0)),
            }
        )
    return rows


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def evaluation_detail(request, pk):
    evaluation = get_evaluation_for(request, pk)
    scores = {s.item_id: s.points for s in evaluation.scores.all()}
    reviews = list(evaluation.reviews.select_related("requested_by", "decided_by"))
    open_review = next((r for r in reviews if r.is_open), None)
    today = _today()
    scorer = services.scored_by(evaluation) if evaluation.state == Evaluation.State.SCORED else None
    publish_from = services.publishable_from(evaluation)
    return render(
        request,
        "evaluation/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "categories": _category_rows(evaluation, scores),
            "max_total": evaluation.system.total_points,
            "reviews": reviews,
            "open_review": open_review,
            "steps": evaluation.steps.select_related("actor"),
            "scores_editable": evaluation.state in (Evaluation.State.DRAFT, Evaluation.State.SCORED)
            or (evaluation.state == Evaluation.State.NOTICE and open_review is not None),
            "confirm_form": ConfirmForm(initial={"confirmed_on": today}),
            "notice_form": NoticeForm(
                initial={"starts_on": today, "ends_on": today + datetime.timedelta(days=7)}
            ),
            "publish_form": PublishForm(initial={"published_on": today}),
            "publish_from": publish_from,
            "may_publish": publish_from is not None and publish_from <= today and not open_review,
            "scorer": scorer,
            "may_confirm": scorer is None or scorer.pk != request.user.pk,
            "note_form": NoteForm(),
            "review_form": ReviewRequestForm(initial={"requested_on": today}),
            "decide_form": ReviewDecideForm(initial={"decided_on": today}),
        },
    )


@permission_required("evaluation.change_evaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_scores(request, pk):
    """The scoring form: nine categories, their items with the maximum beside each, subtotals
    and a running total kept up to date by static/js/evaluation.js as the user types."""
    evaluation = get_evaluation_for(request, pk)
    if not services.scores_editable(evaluation):
        messages.error(request, _("The scores of this evaluation can no longer be changed."))
        return redirect(_detail_url(evaluation))
    items = evaluation.system.items.order_by("order")
    scores = {s.item_id: s.points for s in evaluation.scores.all()}
    form = ScoreForm(request.POST or None, items=items, scores=scores)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_save_scores(
                evaluation=evaluation, points=form.points(), actor=request.user
            )
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(request, _("Scores saved."))
            if "mark_scored" in request.POST:
                return evaluation_action_run(request, evaluation, "scored")
            return redirect(_detail_url(evaluation))
    categories = Category.objects.filter(system_id=evaluation.system_id).annotate(
        max_points=Sum("items__max_points")
    )
    rows = defaultdict(list)
    for item, field in form.rows():
        rows[item.category_id].append((item, field))
    sections = [{"category": c, "rows": rows[c.pk]} for c in categories]
    return render(
        request,
        "evaluation/evaluation_scores.html",
        {
            "evaluation": evaluation,
            "form": form,
            "sections": sections,
            "max_total": evaluation.system.total_points,
            "thresholds": [
                {"grade": t.grade, "min": float(t.min_total)}
                for t in evaluation.system.thresholds.all()
            ],
        },
    )


ACTIONS = {
    # action: (form class, service, keyword arguments taken from the form, success message)
    "scored": (
        NoteForm,
        services.evaluation_mark_scored,
        [],
        gettext_lazy("Preliminary opinion recorded."),
    ),
    "reopen": (
        NoteForm,
        services.evaluation_reopen,
        [],
        gettext_lazy("Evaluation reopened for scoring."),
    ),
    "confirm": (
        ConfirmForm,
        services.evaluation_confirm,
        ["confirmed_on"],
        gettext_lazy("Confirmed by the evaluation committee."),
    ),
    "notice": (
        NoticeForm,
        services.evaluation_start_notice,
        ["starts_on", "ends_on"],
        gettext_lazy("Public notice started."),
    ),
    "publish": (
        PublishForm,
        services.evaluation_publish,
        ["published_on"],
        gettext_lazy("Grade published."),
    ),
}


def evaluation_action_run(request, evaluation, action):
    form_class, service, fields, success = ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(
            request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect(_detail_url(evaluation))
    try:
        service(
            evaluation=evaluation,
            actor=request.user,
            note=form.cleaned_data.get("note", ""),
            **{name: form.cleaned_data[name] for name in fields},
        )
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, success)
    return redirect(_detail_url(evaluation))


@permission_required("evaluation.change_evaluation", raise_exception=True)
@require_POST
def evaluation_action(request, pk, action):
    """One step of the procedure: scored, reopen, confirm, notice or publish."""
    if action not in ACTIONS:
        raise Http404
    return evaluation_action_run(request, get_evaluation_for(request, pk), action)


@permission_required("evaluation.change_evaluation", raise_exception=True)
@require_POST
def review_request(request, pk):
    evaluation = get_evaluation_for(request, pk)
    form = ReviewRequestForm(request.POST)
    if form.is_valid():
        try:
            services.review_request(evaluation=evaluation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(
                request, _("Review request recorded; the scores are open for the committee.")
            )
    else:
        messages.error(request, _("Enter the date and the reason of the request."))
    return redirect(_detail_url(evaluation))


@permission_required("evaluation.change_evaluation", raise_exception=True)
@require_POST
def review_decide(request, pk):
    review = get_object_or_404(
        Review.objects.filter(evaluation__in=Evaluation.objects.visible_to(request.user)), pk=pk
    )
    form = ReviewDecideForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_decide(review=review, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(
                request,
                _("Review decided: %(decision)s.") % {"decision": review.get_decision_display()},
            )
    else:
        messages.error(request, _("Enter the date and the committee's reasoning."))
    return redirect(reverse("evaluation:evaluation_detail", kwargs={"pk": review.evaluation_id}))


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def certificate(request, pk):
    """The printable certificate (证书) of a published grade."""
    evaluation = get_evaluation_for(request, pk)
    if evaluation.state != Evaluation.State.PUBLISHED or not evaluation.grade:
        raise Http404
    return render(request, "evaluation/certificate.html", {"evaluation": evaluation})


# ---------------------------------------------------------------------------------------------
# Overviews


GRADES = [g.value for g in Grade]


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def distribution(request):
    """Published grades by evaluation year and by organisation type (a chart and tables)."""
    published = Evaluation.objects.visible_to(request.user).published()
    by_year = defaultdict(lambda: dict.fromkeys([*GRADES, ""], 0))
    for year, grade, n in published.values_list("year", "grade").annotate(n=Count("id")).order_by():
        by_year[year][grade] = n
    by_type = {t.value: dict.fromkeys([*GRADES, ""], 0) for t in LEGAL_TYPES}
    counts = published.values_list("organisation__org_type", "grade").annotate(n=Count("id"))
    for org_type, grade, n in counts.order_by():
        by_type.setdefault(org_type, dict.fromkeys([*GRADES, ""], 0))[grade] = n
    years = sorted(by_year)
    year_rows = [
        (y, [by_year[y][g] for g in [*GRADES, ""]], sum(by_year[y].values())) for y in years
    ]
    labels = {t.value: t.label for t in LEGAL_TYPES}
    type_rows = [
        (labels.get(t, t), [c[g] for g in [*GRADES, ""]], sum(c.values()))
        for t, c in by_type.items()
    ]
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("evaluation.export_evaluation"):
            raise PermissionDenied
        headers = [*GRADES, "未定级", "合计"]
        workbook = new_workbook()
        write_sheet(workbook, "按年度", ["年度", *headers], ([y, *c, t] for y, c, t in year_rows))
        write_sheet(
            workbook, "按类型", ["类型", *headers], ([str(n), *c, t] for n, c, t in type_rows)
        )
        return workbook_response(workbook, "grade-distribution.xlsx")
    chart = {
        "years": [str(y) for y in years],
        "grades": GRADES,
        "series": {g: [by_year[y][g] for y in years] for g in GRADES},
        "types": [str(n) for n, _c, _t in type_rows],
        "type_series": {g: [c[i] for _n, c, _t in type_rows] for i, g in enumerate(GRADES)},
    }
    return render(
        request,
        "evaluation/distribution.html",
        {"year_rows": year_rows, "type_rows": type_rows, "grades": GRADES, "chart": chart},
    )


def _organisation_export(filename, title, queryset):
    headers = [
        "统一社会信用代码",
        "组织名称",
        "类型",
        "所属镇街",
        "成立日期",
        "评估等级",
        "有效期至",
    ]
    rows = (
        (
            o.credit_code,
            o.name,
            o.get_org_type_display(),
            o.township.name,
            o.registered_on,
            o.grade,
            o.grade_expires_on,
        )
        for o in queryset.iterator(chunk_size=2000)
    )
    return export_response(filename, title, headers, rows)


def _organisation_list(request, queryset, template, filename, title, extra=None):
    org_filter = OrganisationGradeFilter(request.GET, queryset=queryset, user=request.user)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("evaluation.export_evaluation"):
            raise PermissionDenied
        return _organisation_export(filename, title, org_filter.qs)
    context = {
        "filter": org_filter,
        "page": paginate(request, org_filter.qs),
        "querystring": querystring_without_page(request),
        "today": _today(),
        **(extra or {}),
    }
    return render(request, template, context)


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def expiring(request):
    """Legal organisations whose grade expires within 90 days or has expired, soonest first."""
    today = _today()
    limit = today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS)
    organisations = (
        Organisation.objects.visible_to(request.user)
        .legal_on(today)
        .filter(grade_expires_on__lte=limit)
        .for_list()
        .order_by("grade_expires_on", "name")
    )
    return _organisation_list(
        request,
        organisations,
        "evaluation/expiring.html",
        "grades-expiring",
        _("Grades expiring"),
        {"limit": limit, "window": EXPIRY_WINDOW_DAYS},
    )


@permission_required("evaluation.view_evaluation", raise_exception=True)
@require_GET
def never_evaluated(request):
    """Legal organisations today without any published evaluation."""
    today = _today()
    published = Evaluation.objects.published().filter(organisation=OuterRef("pk"))
    organisations = (
        Organisation.objects.visible_to(request.user)
        .legal_on(today)
        .filter(~Exists(published))
        .for_list()
        .order_by("registered_on", "name")
    )
    return _organisation_list(
        request,
        organisations,
        "evaluation/never_evaluated.html",
        "never-evaluated",
        _("Never evaluated"),
    )


# ---------------------------------------------------------------------------------------------
# Indicator systems (read-only; loaded from fixtures by load_reference)


@permission_required("evaluation.view_indicatorsystem", raise_exception=True)
@require_GET
def system_list(request):
    """The loaded versions and, for the one chosen (``?code=``, else the newest), its categories,
    items, maxima and thresholds."""
    systems = list(
        IndicatorSystem.objects.annotate(
            item_count=Count("items", distinct=True),
            evaluation_count=Count("evaluations", distinct=True),
        )
    )
    system = next((s for s in systems if s.code == request.GET.get("code")), None)
    system = system or (systems[0] if systems else None)
    categories = thresholds = ()
    if system is not None:
        categories = system.categories.prefetch_related(
            Prefetch("items", queryset=Item.objects.order_by("order"))
        ).annotate(max_points=Sum("items__max_points"))
        thresholds = system.thresholds.all()
    return render(
        request,
        "evaluation/system_list.html",
        {"systems": systems, "system": system, "categories": categories, "thresholds": thresholds},
    )


# ---------------------------------------------------------------------------------------------
# The organisation page's tab


def organisation_tab(request, organisation):
    """The organisation's evaluations and, for the latest (published if any), the points per
    category against the maximum, for the radar chart. Three queries."""
    evaluations = list(organisation.evaluations.select_related("system"))
    published = [e for e in evaluations if e.state == Evaluation.State.PUBLISHED]
    latest = (published or evaluations or [None])[0]
    chart = None
    if latest is not None:
        points = dict(
            Score.objects.filter(evaluation=latest)
            .values_list("item__category_id")
            .annotate(total=Sum("points"))
            .order_by()
        )
        categories = Category.objects.filter(system_id=latest.system_id).annotate(
            max_points=Sum("items__max_points")
        )
        chart = {
            "title": f"{latest.year} · {latest.grade or latest.get_state_display()}",
            "categories": [
                {"name": f"{c.code} {c.name}", "max": float(c.max_points)} for c in categories
            ],
            "points": [float(points.get(c.pk) or 0) for c in categories],
            "labels": {"points": _("Points"), "max": _("Maximum")},
        }
    return {
        "evaluations": evaluations,
        "latest": latest,
        "chart": chart,
        "can_add": request.user.has_perm("evaluation.add_evaluation")
        and organisation.org_type in LEGAL_TYPES,
    }
