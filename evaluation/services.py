"""Writes of the evaluation app. Each is atomic, validates before saving and is the one path
used by views, the importer and the demo.

The procedure is the national one (《社会组织评估管理办法》, 民政部令第39号, 2010, 第十八条 to
第二十八条): draft → scored (the agency's preliminary opinion) → confirmed by the evaluation
committee → public notice (公示) → published; during the notice the organisation may ask for a
review (复核), which the committee decides before publication. The grade is valid for five years.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from registry.models import (
    AnnualReport,
    Inspection,
    ListEntry,
    Organisation,
    annual_report_due_date,
)
from registry.services import first_report_year
from zhenhai_so import audit
from zhenhai_so.validators import validate_not_in_future

from .models import Evaluation, EvaluationStep, IndicatorSystem, Item, Review, Score, grade_for

State = Evaluation.State


class TransitionNotAllowed(ValidationError):
    pass


def add_years(date: datetime.date, years: int) -> datetime.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def valid_until_for(published_on: datetime.date, years: int) -> datetime.date:
    """The last day of validity: ``years`` after publication, less a day
    (《社会组织评估管理办法》 第二十八条: 评估等级有效期为5年)."""
    return add_years(published_on, years) - datetime.timedelta(days=1)


def _lock(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().select_related("system").get(pk=evaluation.pk)


def _step(evaluation, from_state, actor, note="") -> None:
    EvaluationStep.objects.create(
        evaluation=evaluation,
        from_state=from_state,
        to_state=evaluation.state,
        actor=actor,
        note=note,
    )


def _require_state(evaluation, allowed, action_label) -> None:
    if evaluation.state not in allowed:
        raise TransitionNotAllowed(
            _("An evaluation in state “%(state)s” cannot be %(action)s."),
            params={"state": evaluation.get_state_display(), "action": action_label},
            code="transition",
        )


def _save(evaluation: Evaluation) -> Evaluation:
    # The relations were checked when the evaluation was created and never change; leaving them
    # out spares a query each on every step.
    evaluation.full_clean(exclude=["organisation", "system", "created_by"])
    evaluation.version += 1
    evaluation.save()
    return evaluation


# ---------------------------------------------------------------------------------------------
# Creating and scoring


def default_system_for(*, organisation: Organisation, year: int) -> IndicatorSystem | None:
    """The newest system that applies to the organisation's type in that year, else the oldest
    one that applies to the type (historical evaluations before the first version)."""
    systems = [s for s in IndicatorSystem.objects.all() if s.applies_to(organisation.org_type)]
    current = [s for s in systems if s.applies_from <= year]
    if current:
        return max(current, key=lambda s: s.applies_from)
    return min(systems, key=lambda s: s.applies_from, default=None)


def last_inspection_year(on: datetime.date) -> int:
    """The latest year whose annual inspection (report) was due by ``on`` (31 May after it)."""
    year = on.year - 1
    return year if on > annual_report_due_date(year) else year - 1


def eligibility_problems(*, organisation: Organisation, on: datetime.date) -> list[str]:
    """Why the organisation may not be evaluated on the date, in words ([] when it may).

    《社会组织评估管理办法》 (民政部令第39号) 第六条: eligible when registered for two full years
    and never evaluated, or when its grade's five years have run out. 第七条: not evaluated when
    it missed last year's annual inspection, failed it or was only basically qualified two years
    running, or was penalised last year; nor while it is on the abnormal-activity list or the
    serious-violation list. The rules as users see them: docs/rules.md."""
    problems = []
    eligible_from = add_years(organisation.registered_on, 2)
    if on < eligible_from:
        problems.append(
            _(
                "Registered on %(registered)s: an organisation is evaluated once it has been "
                "registered for two full years, from %(from)s (art. 6)."
            )
            % {"registered": organisation.registered_on.isoformat(), "from": eligible_from}
        )
    holding = (
        Evaluation.objects.published()
        .filter(organisation=organisation, valid_until__gte=on)
        .exclude(grade="")
        .order_by("-valid_until")
        .first()
    )
    if holding is not None:
        problems.append(
            _(
                "Holds the grade %(grade)s until %(until)s: it is evaluated again once the five "
                "years have run out (art. 6)."
            )
            % {"grade": holding.grade, "until": holding.valid_until.isoformat()}
        )
    year = last_inspection_year(on)
    first = first_report_year()
    # Years before the register's first recorded reports may have been filed on paper.
    if first is not None and year >= first and organisation.registered_on.year < year:
        reports = {
            r.year: r
            for r in AnnualReport.objects.filter(
                organisation=organisation, year__in=[year - 1, year]
            )
        }
        last, before = reports.get(year), reports.get(year - 1)
        Result = AnnualReport.Result
        if last is None or not last.submitted_on:
            problems.append(
                _("Did not take part in the annual inspection of %(year)s (art. 7).")
                % {"year": year}
            )
        elif last.result == Result.UNQUALIFIED:
            problems.append(
                _("Failed the annual inspection of %(year)s (art. 7).") % {"year": year}
            )
        elif last.result == Result.BASICALLY and before and before.result == Result.BASICALLY:
            problems.append(
                _(
                    "Only basically qualified in the annual inspections of %(before)s and "
                    "%(year)s (art. 7)."
                )
                % {"before": year - 1, "year": year}
            )
    penalty = (
        Inspection.objects.filter(
            organisation=organisation,
            result=Inspection.Result.PENALTY,
            inspected_on__gte=datetime.date(on.year - 1, 1, 1),
            inspected_on__lte=on,
        )
        .order_by("-inspected_on")
        .first()
    )
    if penalty is not None:
        problems.append(
            _("Referred for penalty on %(date)s (art. 7).")
            % {"date": penalty.inspected_on.isoformat()}
        )
    entries = ListEntry.objects.filter(organisation=organisation).current_on(on).order_by("kind")
    for entry in entries:
        problems.append(
            _("On the %(list)s since %(date)s.")
            % {"list": entry.get_kind_display(), "date": entry.listed_on.isoformat()}
        )
    return [str(problem) for problem in problems]


@transaction.atomic
def evaluation_create(
    *,
    organisation: Organisation,
    system: IndicatorSystem,
    agency: str,
    evaluated_on: datetime.date,
    year: int | None = None,
    actor=None,
    check_eligibility: bool = True,
) -> Evaluation:
    """Open an evaluation of a legal organisation on one version of the indicator system.
    Only registered (legal) organisations are evaluated (第二条); the system must cover the type;
    the organisation must be eligible (:func:`eligibility_problems`). ``check_eligibility`` is
    False only for evaluations recorded after the fact (demo data, records kept on paper),
    whose eligibility was judged when they were made."""
    errors = {}
    try:
        validate_not_in_future(evaluated_on)
    except ValidationError as error:
        errors["evaluated_on"] = error.messages
    if not organisation.is_legal:
        errors["organisation"] = _("Only registered (legal) organisations are evaluated.")
    elif not system.applies_to(organisation.org_type):
        errors["system"] = _("This indicator system does not apply to this type of organisation.")
    if organisation.registered_on and evaluated_on < organisation.registered_on:
        errors["evaluated_on"] = _("The evaluation date is before the organisation was registered.")
    if organisation.dissolved_on and evaluated_on >= organisation.dissolved_on:
        errors["evaluated_on"] = _("The organisation was dissolved by the evaluation date.")
    if errors:
        raise ValidationError(errors)
    if check_eligibility:
        problems = eligibility_problems(organisation=organisation, on=evaluated_on)
        if problems:
            raise ValidationError(problems, code="not_eligible")
    evaluation = Evaluation(
        organisation=organisation,
        system=system,
        agency=agency.strip(),
        evaluated_on=evaluated_on,
        year=year or evaluated_on.year,
        created_by=actor,
    )
    evaluation.full_clean()
    evaluation.save()
    _step(evaluation, "", actor)
    return evaluation


def scored_by(evaluation: Evaluation):
    """Who last recorded the preliminary opinion (draft → scored), None if nobody is known."""
    step = (
        evaluation.steps.filter(to_state=State.SCORED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return step.actor if step else None


def publishable_from(evaluation: Evaluation) -> datetime.date | None:
    """The first day the grade may be published: the day after the public notice ends."""
    if evaluation.notice_ends_on is None:
        return None
    return evaluation.notice_ends_on + datetime.timedelta(days=1)


def _open_review(evaluation) -> Review | None:
    return evaluation.reviews.filter(decided_on__isnull=True).first()


def scores_editable(evaluation: Evaluation) -> bool:
    """Before the committee confirms, or during the notice while a review is open (the committee
    may re-score what the review contests)."""
    if evaluation.state in (State.DRAFT, State.SCORED):
        return True
    return evaluation.state == State.NOTICE and _open_review(evaluation) is not None


def validate_points(items: Mapping[int, Item], points: Mapping[int, object]) -> dict:
    """Typed points per item id, or a ``ValidationError`` naming each bad item code: a score is
    a number from 0 to the item's maximum, in steps of 0.5."""
    errors = {}
    clean = {}
    for item_id, raw in points.items():
        item = items.get(item_id)
        if item is None:
            errors["__all__"] = _("A score belongs to an item of another indicator system.")
            continue
        if raw is None or raw == "":
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            errors[item.code] = _("Enter a number.")
            continue
        if not value.is_finite():
            errors[item.code] = _("Enter a number.")
        elif value < 0:
            errors[item.code] = _("A score cannot be below zero.")
        elif value > item.max_points:
            errors[item.code] = _("At most %(max)s points for item %(code)s.") % {
                "max": item.max_points.normalize(),
                "code": item.code,
            }
        elif value * 2 != (value * 2).to_integral_value():
            errors[item.code] = _("Scores are given in whole or half points.")
        else:
            clean[item_id] = value.quantize(Decimal("0.1"))
    if errors:
        raise ValidationError(errors)
    return clean


def _recompute(evaluation: Evaluation) -> None:
    total = evaluation.scores.aggregate(total=Sum("points"))["total"] or Decimal(0)
    evaluation.total = total
    evaluation.grade = grade_for(total, evaluation.system.thresholds.all())


@transaction.atomic
def evaluation_save_scores(
    *, evaluation: Evaluation, points: Mapping[int, object], actor=None
) -> Evaluation:
    """Store the scores given (item id → points; an empty value leaves an item unscored), then
    recompute the total and the provisional grade. Refused once confirmed, unless a review is
    open during the notice; a published evaluation is never changed (a correction is a new
    evaluation)."""
    evaluation = _lock(evaluation)
    if not scores_editable(evaluation):
        raise TransitionNotAllowed(
            _("The scores of an evaluation in state “%(state)s” cannot be changed."),
            params={"state": evaluation.get_state_display()},
            code="locked",
        )
    items = {i.pk: i for i in evaluation.system.items.all()}
    clean = validate_points(items, points)
    existing = {s.item_id: s for s in evaluation.scores.all()}
    new, changed = [], []
    for item_id, value in clean.items():
        score = existing.get(item_id)
        if score is None:
            new.append(Score(evaluation=evaluation, item_id=item_id, points=value))
        elif score.points != value:
            changed.append((score, {"points": (score.points, value)}))
            score.points = value
    cleared = [
        existing[i].pk for i, raw in points.items() if i in existing and (raw is None or raw == "")
    ]
    Score.objects.bulk_create(new)
    Score.objects.bulk_update([score for score, _change in changed], ["points"])
    # Bulk writes send no signals: each score's entry is written here (deletes log themselves).
    audit.log(
        [
            (score, {"evaluation": (None, evaluation.pk), "item": (None, score.item_id),
                     "points": (None, score.points)})
            for score in new
        ],
        audit.Action.CREATE,
    )  # fmt: skip
    audit.log(changed, audit.Action.UPDATE)
    if cleared:
        Score.objects.filter(pk__in=cleared).delete()
    _recompute(evaluation)
    return _save(evaluation)


# ---------------------------------------------------------------------------------------------
# The procedure


@transaction.atomic
def evaluation_mark_scored(*, evaluation: Evaluation, actor=None, note: str = "") -> Evaluation:
    """draft → scored: the agency's preliminary opinion; every item must be scored."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.DRAFT}, _("marked as scored"))
    scored = evaluation.scores.count()
    expected = evaluation.system.items.count()
    if scored != expected:
        raise ValidationError(
            _("%(n)d of %(total)d items are scored; score every item first."),
            params={"n": scored, "total": expected},
            code="incomplete",
        )
    _recompute(evaluation)
    evaluation.state = State.SCORED
    _save(evaluation)
    _step(evaluation, State.DRAFT, actor, note)
    return evaluation


@transaction.atomic
def evaluation_reopen(*, evaluation: Evaluation, actor=None, note: str = "") -> Evaluation:
    """scored → draft: the agency takes its preliminary opinion back to correct it."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.SCORED}, _("reopened"))
    evaluation.state = State.DRAFT
    _save(evaluation)
    _step(evaluation, State.SCORED, actor, note)
    return evaluation


@transaction.atomic
def evaluation_confirm(
    *, evaluation: Evaluation, confirmed_on: datetime.date, actor=None, note: str = ""
) -> Evaluation:
    """scored → confirmed: the evaluation committee confirms the agency's opinion (第二十一条)."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.SCORED}, _("confirmed"))
    scorer = scored_by(evaluation)
    if scorer is not None and actor is not None and scorer.pk == actor.pk:
        raise ValidationError(
            _(
                "You recorded the preliminary opinion: another member of staff confirms it for "
                "the committee."
            ),
            code="same_person",
        )
    try:
        validate_not_in_future(confirmed_on)
    except ValidationError as error:
        raise ValidationError({"confirmed_on": error.messages}) from None
    if confirmed_on < evaluation.evaluated_on:
        raise ValidationError(
            {"confirmed_on": _("The committee cannot confirm before the evaluation date.")}
        )
    evaluation.state = State.CONFIRMED
    evaluation.confirmed_on = confirmed_on
    _save(evaluation)
    _step(evaluation, State.SCORED, actor, note)
    return evaluation


@transaction.atomic
def evaluation_start_notice(
    *,
    evaluation: Evaluation,
    starts_on: datetime.date,
    ends_on: datetime.date,
    actor=None,
    note: str = "",
) -> Evaluation:
    """confirmed → notice: the result is publicly noticed until ``ends_on`` (第二十二条)."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.CONFIRMED}, _("put on public notice"))
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The notice cannot end before it starts.")})
    if evaluation.confirmed_on and starts_on < evaluation.confirmed_on:
        raise ValidationError(
            {"starts_on": _("The notice cannot start before the committee confirmed.")}
        )
    evaluation.state = State.NOTICE
    evaluation.notice_starts_on, evaluation.notice_ends_on = starts_on, ends_on
    _save(evaluation)
    _step(evaluation, State.CONFIRMED, actor, note)
    return evaluation


@transaction.atomic
def review_request(
    *, evaluation: Evaluation, requested_on: datetime.date, reason: str, actor=None
) -> Review:
    """Record the organisation's request for review; only during the notice, one at a time
    (第二十三条: 对评估结果有异议的, 可在公示期内向评估委员会申请复核)."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.NOTICE}, _("reviewed"))
    if not (evaluation.notice_starts_on <= requested_on <= evaluation.notice_ends_on):
        raise ValidationError(
            {"requested_on": _("A review can only be requested during the public notice.")}
        )
    if _open_review(evaluation):
        raise ValidationError(_("A review of this evaluation is already open."), code="open")
    review = Review(
        evaluation=evaluation,
        requested_on=requested_on,
        reason=reason.strip(),
        grade_before=evaluation.grade,
        requested_by=actor,
    )
    review.full_clean()
    review.save()
    _step(evaluation, State.NOTICE, actor, _("Review requested: %(reason)s") % {"reason": reason})
    return review


@transaction.atomic
def review_decide(
    *, review: Review, decided_on: datetime.date, note: str = "", actor=None
) -> Review:
    """The committee's decision on a review. The scores may have been corrected while it was
    open; the decision records the grade those scores now give: kept when it is the grade before
    the review, changed otherwise."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    evaluation = _lock(review.evaluation)
    if not review.is_open:
        raise ValidationError(_("This review has been decided already."), code="decided")
    _require_state(evaluation, {State.NOTICE}, _("reviewed"))
    if decided_on < review.requested_on:
        raise ValidationError({"decided_on": _("The decision cannot precede the request.")})
    _recompute(evaluation)
    _save(evaluation)
    review.decided_on = decided_on
    review.grade_after = evaluation.grade
    review.decision = (
        Review.Decision.KEPT
        if review.grade_after == review.grade_before
        else Review.Decision.CHANGED
    )
    review.note = note.strip()
    review.decided_by = actor
    review.full_clean()
    review.save()
    _step(
        evaluation,
        State.NOTICE,
        actor,
        _("Review decided: %(decision)s") % {"decision": review.get_decision_display()},
    )
    return review


@transaction.atomic
def evaluation_publish(
    *, evaluation: Evaluation, published_on: datetime.date, actor=None, note: str = ""
) -> Evaluation:
    """notice → published. Fixes the grade from the system's thresholds and its validity
    (five years, 第二十八条), and writes the organisation's current grade: the newest published
    evaluation wins. Refused while a review is open, before the notice period is over (the day
    after its last day at the earliest) and for a date after today."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.NOTICE}, _("published"))
    if _open_review(evaluation):
        raise ValidationError(_("Decide the open review before publishing."), code="review_open")
    opens = publishable_from(evaluation)
    if published_on < opens:
        raise ValidationError(
            {
                "published_on": _(
                    "The grade is published after the public notice ends, from %(date)s."
                )
                % {"date": opens.isoformat()}
            }
        )
    try:
        validate_not_in_future(published_on)
    except ValidationError as error:
        raise ValidationError({"published_on": error.messages}) from None
    _recompute(evaluation)
    evaluation.state = State.PUBLISHED
    evaluation.published_on = published_on
    evaluation.valid_until = valid_until_for(published_on, evaluation.system.validity_years)
    _save(evaluation)
    _step(evaluation, State.NOTICE, actor, note)
    organisation_refresh_grade(organisation=evaluation.organisation)
    return evaluation


@transaction.atomic
def organisation_refresh_grade(*, organisation: Organisation) -> Organisation:
    """Write the grade of the newest published evaluation (by publication, then evaluation date)
    onto the organisation, so the register can filter on it without importing this app."""
    latest = (
        Evaluation.objects.published()
        .filter(organisation=organisation)
        .order_by("-published_on", "-evaluated_on", "-id")
        .first()
    )
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    current.grade = latest.grade if latest else ""
    current.grade_expires_on = latest.valid_until if latest and latest.grade else None
    fields = ["grade", "grade_expires_on"]
    current.clean_fields(
        exclude=[f.name for f in Organisation._meta.fields if f.name not in fields]
    )
    # A plain save of two fields: the audit log records it; the register's edit version is
    # left alone, since these fields are never on its forms.
    current.save(update_fields=[*fields, "updated_at"])
    organisation.grade, organisation.grade_expires_on = current.grade, current.grade_expires_on
    return organisation
