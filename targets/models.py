"""Plans and their targets as data, milestones, population figures, township quarterly reports and
the stored series of computed target values (``docs/targets.md``).

What a target measures is named by ``Target.metric`` (a function in ``targets.metrics``) with its
``params``; the comparator, value and deadline are data, so a later plan is another fixture."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# Plans and targets


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("period starts on"))
    ends_on = models.DateField(_("period ends on"))
    baseline_date = models.DateField(_("baseline date"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="plan_period_ordered"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def years(self) -> list[int]:
        return list(range(self.starts_on.year, self.ends_on.year + 1))

    def default_as_of(self, today: datetime.date) -> datetime.date:
        """Once the plan has ended it is read on its last day; before that, today."""
        return min(today, self.ends_on)


class Comparator(models.TextChoices):
    GTE = "gte", "≥"
    GT = "gt", ">"
    LTE = "lte", "≤"
    EQ = "eq", "="
    RANGE = "range", _("in range")
    TRACKED = "tracked", _("tracked")
    MILESTONE = "milestone", _("milestone")


class Unit(models.TextChoices):
    PERCENT = "percent", "%"
    COUNT = "count", _("count")
    RATIO = "ratio", _("ratio")
    PER10K = "per10k", _("per 10,000 people")
    AMOUNT = "amount", _("10,000 yuan")


class TargetQuerySet(models.QuerySet):
    def for_dashboard(self):
        return self.select_related("plan").order_by("order", "code")


class Target(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    code = models.CharField(_("code"), max_length=10)
    section = models.CharField(_("plan section"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    plan_wording = models.TextField(_("the plan's words"))
    interpretation = models.TextField(_("how we read it"), blank=True)
    metric = models.CharField(_("metric"), max_length=60)
    params = models.JSONField(_("metric parameters"), default=dict, blank=True)
    comparator = models.CharField(_("comparator"), max_length=10, choices=Comparator.choices)
    value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    value_max = models.DecimalField(
        _("upper bound of the range"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    baseline = models.DecimalField(
        _("baseline value"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: computed from the data on the baseline date."),
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    annual = models.BooleanField(_("annual target"), default=False)
    years = models.JSONField(_("years"), default=list, blank=True)
    source = models.CharField(_("data source"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["plan", "order", "code"]
        permissions = [("export_targets", _("Can export targets and their records"))]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="target_code_unique_per_plan"),
            models.CheckConstraint(
                condition=~Q(comparator="range") | Q(value_max__isnull=False),
                name="target_range_has_upper_bound",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def effective_baseline_date(self) -> datetime.date:
        return self.baseline_date or self.plan.baseline_date

    @property
    def plan_years(self) -> list[int]:
        return list(self.years) or self.plan.years


class Milestone(models.Model):
    """A dated record of something done (a "milestone" of ``docs/targets.md``), entered by
    bureau staff."""

    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="milestones"
    )
    key = models.CharField(_("key"), max_length=30, default="main")
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True, db_index=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="milestones/", max_length=200, blank=True
    )
    evidence_link = models.URLField(_("evidence link"), blank=True)
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["target", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="milestone_key_unique"),
        ]

    def __str__(self):
        return self.title


class Population(models.Model):
    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered (户籍)")
        RESIDENT = "resident", _("Resident (常住)")

    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    count = models.PositiveIntegerField(_("people"))
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("population")
        verbose_name_plural = _("population figures")
        ordering = ["year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind"], name="population_year_kind_unique"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()}: {self.count}"


# ---------------------------------------------------------------------------------------------
# Township quarterly reports


class QuarterlyIndicator(models.Model):
    """One figure of the township quarterly form. The form is built from these rows, so the bureau
    adds a figure by adding a row (a fixture or the admin), not by a release."""

    class Kind(models.TextChoices):
        BOOL = "bool", _("yes / no")
        INT = "int", _("whole number")
        DECIMAL = "decimal", _("number")
        TEXT = "text", _("text")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    per_community = models.BooleanField(_("one value per village / community"), default=False)
    required = models.BooleanField(_("required"), default=False)
    # Figures the register already knows are shown beside the entry for checking.
    register_check = models.CharField(_("checked against the register"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("quarterly indicator")
        verbose_name_plural = _("quarterly indicators")
        ordering = ["plan", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique"),
        ]

    def __str__(self):
        return self.label


def quarter_end(year: int, quarter: int) -> datetime.date:
    month = quarter * 3
    next_first = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return next_first - datetime.timedelta(days=1)


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, quarter * 3 - 2, 1)


# A report is on time up to the 15th day after its quarter ends (``docs/targets.md``).
REPORT_GRACE_DAYS = 15


def quarterly_report_due(year: int, quarter: int) -> datetime.date:
    return quarter_end(year, quarter) + datetime.timedelta(days=REPORT_GRACE_DAYS)


class QuarterlyReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(township_id=township_id)

    def accepted(self):
        return self.filter(state=QuarterlyReport.State.ACCEPTED)

    def ending_on_or_before(self, date: datetime.date):
        """Reports whose quarter ends on or before the date."""
        last_q = (date.month - 1) // 3 + 1
        if quarter_end(date.year, last_q) > date:
            last_q -= 1
        return self.filter(Q(year__lt=date.year) | Q(year=date.year, quarter__lte=last_q))

    def accepted_by(self, date: datetime.date):
        """Reports accepted on or before the date (in the portal's time zone)."""
        return self.accepted().filter(Q(reviewed_at__isnull=True) | Q(reviewed_at__date__lte=date))

    def newest_accepted_on(self, date: datetime.date):
        """Each township's newest report of a quarter ending on or before the date among those
        accepted by then (the "township figures" of ``docs/targets.md``)."""
        candidates = self.accepted_by(date).ending_on_or_before(date)
        newest = (
            candidates.filter(township_id=models.OuterRef("township_id"))
            .order_by("-year", "-quarter")
            .values("pk")[:1]
        )
        return candidates.filter(pk=models.Subquery(newest))


class QuarterlyReport(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="quarterly_reports"
    )
    township = models.ForeignKey(
        "registry.Township",
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        related_name="quarterly_reports",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    narrative = models.TextField(_("problems and next steps"), blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    return_reason = models.TextField(_("reason for returning"), blank=True)
    late = models.BooleanField(_("late"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuarterlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("township quarterly report")
        verbose_name_plural = _("township quarterly reports")
        ordering = ["-year", "-quarter", "township__order"]
        permissions = [
            ("submit_quarterlyreport", _("Can submit a township quarterly report")),
            ("review_quarterlyreport", _("Can accept or return township quarterly reports")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year", "quarter"], name="quarterly_report_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="quarterly_report_quarter_1_4"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "year", "quarter"], name="qreport_state_period_idx"),
        ]

    def __str__(self):
        return f"{self.township} {self.year}Q{self.quarter}"

    @property
    def period_label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def quarter_end(self) -> datetime.date:
        return quarter_end(self.year, self.quarter)

    @property
    def due_on(self) -> datetime.date:
        return quarterly_report_due(self.year, self.quarter)

    @property
    def is_locked(self) -> bool:
        return self.state in (self.State.SUBMITTED, self.State.ACCEPTED)


class QuarterlyValue(models.Model):
    """One figure of a report: township-wide (no community) or for one village / community.
    Stored as text in a normal form (bool "1"/"0", numbers as written) and read by kind."""

    report = models.ForeignKey(QuarterlyReport, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(QuarterlyIndicator, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "registry.Community", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value = models.CharField(_("value"), max_length=2000, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("quarterly figure")
        verbose_name_plural = _("quarterly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator", "community"],
                condition=Q(community__isnull=False),
                name="qvalue_unique_per_community",
            ),
            models.UniqueConstraint(
                fields=["report", "indicator"],
                condition=Q(community__isnull=True),
                name="qvalue_unique_township",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "value"], name="qvalue_indicator_value_idx")]

    def __str__(self):
        return f"{self.indicator_id}={self.value}"


class ReportStep(models.Model):
    """One move of a quarterly report, with who, when and why."""

    report = models.ForeignKey(QuarterlyReport, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(max_length=10, choices=QuarterlyReport.State.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=QuarterlyReport.State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.report_id}: {self.from_state} → {self.to_state}"


# ---------------------------------------------------------------------------------------------
# Statuses and stored values


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("achieved")
    ACHIEVED_ABOVE = "achieved_above", _("achieved (above range)")
    ON_TRACK = "on_track", _("on track")
    AT_RISK = "at_risk", _("at risk")
    OFF_TRACK = "off_track", _("off track")
    DETERIORATING = "deteriorating", _("deteriorating")
    MISSED = "missed", _("missed")
    NO_DATA = "no_data", _("no data")
    TRACKED = "tracked", _("tracked")
    NOT_STARTED = "not_started", _("not started")
    NOT_DUE = "not_due", _("not yet due")


class Series(models.Model):
    """One stored series of a target: the district (no township) or one township, and one plan
    year for annual targets (0 for the others). Its values are the ``TargetValue`` steps."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="series")
    township = models.ForeignKey(
        "registry.Township", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        constraints = [
            models.UniqueConstraint(
                fields=["target", "township", "year"],
                condition=Q(township__isnull=False),
                name="series_unique_township",
            ),
            models.UniqueConstraint(
                fields=["target", "year"],
                condition=Q(township__isnull=True),
                name="series_unique_district",
            ),
        ]

    def __str__(self):
        return f"{self.target_id} {self.township_id or '-'} {self.year}"


class TargetValue(models.Model):
    """A target's value, numerator and denominator from ``valid_from`` until the next step of
    its series (``targets.series``): what the dashboard, the target pages, the workbook and
    ``target_progress`` read."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="values")
    valid_from = models.DateField(_("from"))
    value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    extras = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("target value")
        verbose_name_plural = _("target values")
        constraints = [
            models.UniqueConstraint(fields=["series", "valid_from"], name="target_value_unique"),
        ]

    def __str__(self):
        return f"{self.series_id} {self.valid_from}: {self.value}"

    @property
    def point(self):
        from .series import Point

        return Point(self.value, self.numerator, self.denominator, self.extras or {})


class RefreshRequest(models.Model):
    """A committed change to data that targets read, waiting for the refresh task
    (``targets.tasks.refresh_series``), which takes every waiting request at once."""

    tables = models.JSONField(default=list)
    requested_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("refresh request")
        verbose_name_plural = _("refresh requests")

    def __str__(self):
        return f"{self.requested_at}: {', '.join(self.tables)}"
