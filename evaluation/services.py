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

from registry.models import Organisation
from zhenhai_so import audit

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


@transaction.atomic
def evaluation_create(
    *,
    organisation: Organisation,
    system: IndicatorSystem,
    agency: str,
    evaluated_on: datetime.date,
    year: int | None = None,
    actor=None,
) -> Evaluation:
    """Open an evaluation of a legal organisation on one version of the indicator system.
    Only registered (legal) organisations are evaluated (第二条); the system must cover the type."""
    errors = {}
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
    evaluation wins. Refused while a review is open or before the notice has ended."""
    evaluation = _lock(evaluation)
    _require_state(evaluation, {State.NOTICE}, _("published"))
    if _open_review(evaluation):
        raise ValidationError(_("Decide the open review before publishing."), code="review_open")
    if published_on < evaluation.notice_ends_on:
        raise ValidationError(
            {"published_on": _("The grade is published after the public notice ends.")}
        )
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
