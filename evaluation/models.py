"""Evaluation (社会组织评估): versioned indicator systems (9 categories, 36 items), evaluations
of organisations scored on one version, and the grade 5A…1A each publication fixes.

The procedure follows 《社会组织评估管理办法》 (民政部令第39号, 2010): the agency scores and gives
a preliminary opinion, the evaluation committee confirms, the result is publicly noticed (公示),
the organisation may ask for a review (复核) during the notice, then the grade is published and is
valid for five years (第二十八条).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Grade, Organisation
from zhenhai_so.validators import raise_future_dates

# ---------------------------------------------------------------------------------------------
# The indicator system (reference data, versioned)


class IndicatorSystem(models.Model):
    """One version of the indicator system. Never changed once an evaluation is scored on it:
    a revision is a new system beside it (``reference.load`` enforces this)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    applies_from = models.PositiveSmallIntegerField(_("applies from (year)"))
    org_types = models.JSONField(_("organisation types it applies to"), default=list)
    total_points = models.DecimalField(_("total points"), max_digits=7, decimal_places=1)
    validity_years = models.PositiveSmallIntegerField(_("grade valid for (years)"), default=5)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("indicator system")
        verbose_name_plural = _("indicator systems")
        ordering = ["-applies_from", "code"]

    def __str__(self):
        return self.name

    def applies_to(self, org_type: str) -> bool:
        return org_type in self.org_types


class Threshold(models.Model):
    """The lowest total that earns a grade under one system."""

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="thresholds")
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices)
    min_total = models.DecimalField(_("minimum total"), max_digits=7, decimal_places=1)

    class Meta:
        verbose_name = _("grade threshold")
        verbose_name_plural = _("grade thresholds")
        ordering = ["system", "-min_total"]
        constraints = [
            models.UniqueConstraint(fields=["system", "grade"], name="threshold_grade_unique"),
            models.CheckConstraint(condition=Q(min_total__gte=0), name="threshold_non_negative"),
        ]

    def __str__(self):
        return f"{self.grade} ≥ {self.min_total}"


def grade_for(total: Decimal, thresholds) -> str:
    """The grade a total earns: the highest grade whose minimum it reaches, "" below all."""
    for threshold in sorted(thresholds, key=lambda t: t.min_total, reverse=True):
        if total >= threshold.min_total:
            return threshold.grade
    return ""


class Category(models.Model):
    """One of the nine categories (大类), under one of the four first-level indicators of
    《社会组织评估管理办法》 第八条 (基础条件, 内部治理, 工作绩效, 社会评价)."""

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=60)
    first_level = models.CharField(_("first-level indicator"), max_length=20)
    source = models.TextField(_("source"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator category")
        verbose_name_plural = _("indicator categories")
        ordering = ["system", "order"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="category_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Item(models.Model):
    """One of the 36 items (小类) with its maximum points and how to score it. ``system`` repeats
    the category's system so item codes are unique per version and a score's item can be checked
    against its evaluation's version without a join."""

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="items")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=60)
    max_points = models.DecimalField(_("maximum points"), max_digits=5, decimal_places=1)
    scoring = models.TextField(_("how to score"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator item")
        verbose_name_plural = _("indicator items")
        ordering = ["system", "order"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="item_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="item_max_positive"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


# ---------------------------------------------------------------------------------------------
# Evaluations


class EvaluationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everything for district-wide users, the own township's only for township offices."""
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(organisation__township_id=township_id)

    def published(self):
        return self.filter(state=Evaluation.State.PUBLISHED)

    def published_on_or_before(self, date: datetime.date):
        """Published evaluations dated (evaluated) on or before the date."""
        return self.published().filter(evaluated_on__lte=date)

    def for_list(self):
        return self.select_related("organisation", "organisation__township", "system").only(
            "id",
            "year",
            "agency",
            "evaluated_on",
            "state",
            "total",
            "grade",
            "published_on",
            "valid_until",
            "organisation__id",
            "organisation__name",
            "organisation__credit_code",
            "organisation__org_type",
            "organisation__township__name",
            "system__id",
            "system__code",
            "system__name",
        )


class Evaluation(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCORED = "scored", _("Scored (agency's preliminary opinion)")
        CONFIRMED = "confirmed", _("Confirmed by the committee")
        NOTICE = "notice", _("Public notice")
        PUBLISHED = "published", _("Published")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("indicator system"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    year = models.PositiveSmallIntegerField(_("evaluation year"), db_index=True)
    agency = models.CharField(_("evaluation agency"), max_length=100, db_index=True)
    evaluated_on = models.DateField(_("evaluation date"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=1, default=Decimal(0))
    grade = models.CharField(
        _("grade"), max_length=2, choices=Grade.choices, blank=True, db_index=True
    )
    confirmed_on = models.DateField(_("confirmed by the committee on"), null=True, blank=True)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-evaluated_on", "-id"]
        permissions = [("export_evaluation", _("Can export evaluations"))]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="evaluation_total_non_negative"),
            models.CheckConstraint(
                condition=~Q(state="published")
                | Q(published_on__isnull=False, valid_until__isnull=False),
                name="evaluation_published_has_dates",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["notice", "published"])
                | Q(notice_starts_on__isnull=False, notice_ends_on__isnull=False),
                name="evaluation_notice_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(notice_ends_on__isnull=True)
                | Q(notice_ends_on__gte=models.F("notice_starts_on")),
                name="evaluation_notice_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "evaluated_on"], name="eval_org_idx"),
            models.Index(fields=["state", "valid_until"], name="eval_validity_idx"),
        ]

    def __str__(self):
        return f"{self.organisation} {self.year}"

    def clean(self):
        # The notice's dates are planned and may lie ahead; the facts may not.
        raise_future_dates(self, ["evaluated_on", "confirmed_on", "published_on"])

    @property
    def is_editable(self) -> bool:
        """Scores may change before the committee confirms them (a review reopens them, see
        ``services.evaluation_save_scores``); a published evaluation never changes."""
        return self.state in (self.State.DRAFT, self.State.SCORED)


class Score(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["evaluation", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="score_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_non_negative"),
        ]

    def __str__(self):
        return f"{self.item.code}: {self.points}"


class Review(models.Model):
    """A request for review (复核) during the public notice, and its decision.
    《社会组织评估管理办法》 第二十三条: an organisation that disagrees with the result may ask the
    evaluation committee for a review within the notice period; the committee decides."""

    class Decision(models.TextChoices):
        KEPT = "kept", _("Grade kept")
        CHANGED = "changed", _("Grade changed")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reviews")
    requested_on = models.DateField(_("requested on"))
    reason = models.TextField(_("reason given by the organisation"))
    grade_before = models.CharField(
        _("grade before the review"), max_length=2, choices=Grade.choices, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    grade_after = models.CharField(
        _("grade after the review"), max_length=2, choices=Grade.choices, blank=True
    )
    note = models.TextField(_("committee's reasoning"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["requested_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=Q(decided_on__isnull=True),
                name="review_one_open_per_evaluation",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True, decision="")
                | Q(decided_on__isnull=False) & ~Q(decision=""),
                name="review_decided_has_decision",
            ),
        ]

    def __str__(self):
        return f"{self.evaluation}: {self.requested_on}"

    @property
    def is_open(self) -> bool:
        return self.decided_on is None

    def clean(self):
        raise_future_dates(self, ["requested_on", "decided_on"])


class EvaluationStep(models.Model):
    """One move of an evaluation through the procedure, with who, when and a note."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(max_length=10, choices=Evaluation.State.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=Evaluation.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.evaluation_id}: {self.from_state} → {self.to_state}"
