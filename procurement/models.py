"""Purchase of services (政府购买服务) and related funding: the guidance and recommended
catalogues, projects of the four funding channels with their workflow and third-party
performance evaluation, the personnel-cost cap for social-work projects, awards and brands."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation, Township
from zhenhai_so.validators import future_date_errors, raise_future_dates

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


def _scoped(queryset, user, field: str):
    township_id = user.scope_township_id
    return queryset if township_id is None else queryset.filter(**{field: township_id})


# ---------------------------------------------------------------------------------------------
# Catalogues


class CatalogueItemQuerySet(models.QuerySet):
    def of_year(self, year: int):
        return self.filter(year=year)


class CatalogueItem(models.Model):
    """One service of the guidance catalogue (政府向社会组织购买服务指导性目录) of a year."""

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("service"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    department = models.CharField(_("responsible department"), max_length=100, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CatalogueItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("guidance catalogue item")
        verbose_name_plural = _("guidance catalogue items")
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="catalogue_item_unique"),
        ]

    def __str__(self):
        return f"{self.year} {self.code} {self.name}"


class RecommendedEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organisation__township_id")


class RecommendedEntry(models.Model):
    """An organisation on the recommended catalogue (社会组织承接政府转移职能和购买服务推荐性目录)
    of a year, with the services it is able to take on."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="recommendations",
    )
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    services = models.CharField(_("services it can take on"), max_length=300, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecommendedEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommended catalogue entry")
        verbose_name_plural = _("recommended catalogue entries")
        ordering = ["-year", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="recommended_unique"),
        ]

    def __str__(self):
        return f"{self.year} {self.organisation}"


# ---------------------------------------------------------------------------------------------
# Personnel-cost cap


class PersonnelCostCapQuerySet(models.QuerySet):
    def in_force_on(self, date: datetime.date):
        """The cap in force on the date: the newest one effective on or before it (or None)."""
        return self.filter(effective_from__lte=date).order_by("-effective_from").first()


class PersonnelCostCap(models.Model):
    """The highest share of a social-work service project's money that may pay its staff.

    The plan (三(四)3) raises it "从现有区公益创投资金管理办法中的30% 提高到60%"; when the change
    takes effect is data (``procurement/reference.py``), not code.
    """

    effective_from = models.DateField(_("effective from"), unique=True)
    cap_percent = models.DecimalField(
        # xgettext:no-python-format
        _("cap (% of the contract amount)"),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT,
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    objects = PersonnelCostCapQuerySet.as_manager()

    class Meta:
        verbose_name = _("personnel-cost cap")
        verbose_name_plural = _("personnel-cost caps")
        ordering = ["effective_from"]

    def __str__(self):
        return f"{self.cap_percent}% ({self.effective_from:%Y-%m-%d})"


# ---------------------------------------------------------------------------------------------
# Projects


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everything, or only projects of the user's township for township offices."""
        return _scoped(self, user, "township_id")

    def purchase(self):
        return self.filter(channel=Project.Channel.PURCHASE)

    def social_work(self):
        return self.filter(is_social_work=True)

    def for_list(self):
        return self.select_related("organisation", "township").only(
            "id",
            "channel",
            "name",
            "buyer",
            "year",
            "budget",
            "contract_amount",
            "state",
            "starts_on",
            "ends_on",
            "organisation__name",
            "township__name",
        )


class Project(models.Model):
    class Channel(models.TextChoices):
        PURCHASE = "purchase", _("Government purchase of services")
        VENTURE = "venture", _("Public-welfare venture")
        SUBSIDY = "subsidy", _("Project subsidy")
        SOCIAL_SUPPORT = "social_support", _("Social support")

    class State(models.TextChoices):
        DECLARED = "declared", _("Declared")
        APPROVED = "approved", _("Approved")
        RUNNING = "running", _("Running")
        MIDTERM_REVIEWED = "midterm_reviewed", _("Mid-term reviewed")
        FINISHED = "finished", _("Finished")
        TERMINATED = "terminated", _("Terminated")

    code = models.CharField(
        _("project number"),
        max_length=30,
        blank=True,
        help_text=_("Given when the project is declared, e.g. ZH-2019-00042."),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    name = models.CharField(_("project name"), max_length=200)
    buyer = models.CharField(_("buying department"), max_length=100, db_index=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("undertaking organisation"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="projects"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    catalogue_item = models.ForeignKey(
        CatalogueItem,
        verbose_name=_("guidance catalogue item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, validators=NOT_NEGATIVE
    )
    contract_amount = models.DecimalField(
        _("contract amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
    )
    signed_on = models.DateField(_("contract signed on"), null=True, blank=True, db_index=True)
    personnel_share = models.DecimalField(
        _("personnel-cost share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    is_social_work = models.BooleanField(_("social-work service project"), default=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DECLARED, db_index=True
    )
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-year", "name", "id"]
        permissions = [
            ("export_procurement", _("Can export projects, catalogues, awards and brands")),
        ]
        constraints = [
            # The number is the import key (DESIGN.md contract 3). It is blank only between the
            # insert and the update that numbers a new project by its id (services.project_create).
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="project_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="project_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(personnel_share__isnull=True)
                | Q(personnel_share__gte=0, personnel_share__lte=100),
                name="project_personnel_share_percent",
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0)
                & (Q(contract_amount__isnull=True) | Q(contract_amount__gte=0)),
                name="project_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="finished") | Q(finished_on__isnull=False),
                name="project_finished_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "year"], name="project_channel_year_idx"),
            models.Index(fields=["township", "year"], name="project_township_year_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def cap_date(self) -> datetime.date | None:
        """The date whose personnel-cost cap applies: signing, else the start."""
        return self.signed_on or self.starts_on

    def clean(self):
        # The planned start and end may lie ahead; the signature and the finish may not.
        errors = future_date_errors(self, ["signed_on", "finished_on"])
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = [_("The project ends before it starts.")]
        if self.contract_amount is not None and self.signed_on is None:
            errors["signed_on"] = [_("Give the date the contract was signed.")]
        if self.state == self.State.FINISHED and not self.finished_on:
            errors["finished_on"] = [_("A finished project needs the date it finished.")]
        if self.finished_on and self.starts_on and self.finished_on < self.starts_on:
            errors["finished_on"] = [_("The project cannot finish before it starts.")]
        if errors:
            raise ValidationError(errors)


class ProjectStep(models.Model):
    """One move of a project, with who, when and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(max_length=16, choices=Project.State.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=Project.State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.project_id}: {self.from_state} → {self.to_state}"


def evaluation_report_path(instance, filename):
    # The stored name is ours: the user's file name only reaches the download header, encoded.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"procurement/evaluations/{instance.project_id}.{suffix}"


class PerformanceEvaluationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "project__township_id")


class PerformanceEvaluation(models.Model):
    """The third-party performance evaluation (第三方绩效评估) of a finished project (plan 三(二)3:
    建立健全政府向社会组织购买服务第三方检测评估机制)."""

    project = models.OneToOneField(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="performance_evaluation",
    )
    agency = models.CharField(_("evaluation agency"), max_length=100)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=PERCENT)
    evaluated_on = models.DateField(_("evaluated on"))
    report = models.FileField(
        _("report"),
        upload_to=evaluation_report_path,
        blank=True,
        validators=[FileExtensionValidator(["pdf", "docx", "doc", "xlsx", "jpg", "png"])],
    )

    objects = PerformanceEvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("performance evaluation")
        verbose_name_plural = _("performance evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="evaluation_score_percent"
            ),
        ]

    def __str__(self):
        return f"{self.project}: {self.score}"

    def clean(self):
        raise_future_dates(self, ["evaluated_on"])


# ---------------------------------------------------------------------------------------------
# Awards and brands


class AwardQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organisation__township_id")


class Award(models.Model):
    """A distinction named in a year, e.g. one of the ten excellent public-welfare teams the plan
    names every year from 2018 (三(三)1)."""

    class Kind(models.TextChoices):
        EXCELLENT_TEAM = "excellent_team", _("Excellent public-welfare team")

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.EXCELLENT_TEAM
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="awards",
    )
    name = models.CharField(_("team name"), max_length=200)
    named_on = models.DateField(_("named on"))
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "name"], name="award_unique"),
        ]

    def __str__(self):
        return f"{self.year} {self.name}"

    def clean(self):
        raise_future_dates(self, ["named_on"])


class BrandQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        if township_id is None:
            return self
        return self.filter(Q(township_id=township_id) | Q(organisation__township_id=township_id))


class Brand(models.Model):
    """A public-welfare brand (公益品牌) named at district or township level (plan 三(三)2)."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        TOWNSHIP = "township", _("Township")

    name = models.CharField(_("brand"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="brands",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="brands",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="brands",
    )
    named_on = models.DateField(_("named on"))
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BrandQuerySet.as_manager()

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["-year", "level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(level="township") | Q(township__isnull=False),
                name="brand_township_level_has_township",
            ),
            models.UniqueConstraint(fields=["level", "name"], name="brand_unique"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        raise_future_dates(self, ["named_on"])
        if self.level == self.Level.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("A township-level brand needs its township.")})
        if self.named_on and not self.year:
            self.year = self.named_on.year
