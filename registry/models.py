"""The register: townships and communities (reference data), organisations, registration
applications, annual reports, spot-check inspections and the abnormal list / blacklist."""

import datetime
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zhenhai_so.validators import future_date_errors, raise_future_dates

# ---------------------------------------------------------------------------------------------
# Reference data


class TownshipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every township, or only their own for a township office (SECURITY.md item 9)."""
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(pk=township_id)


class Township(models.Model):
    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, blank=True)  # 街道 or 镇
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = TownshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(township_id=township_id)


class Community(models.Model):
    class Kind(models.TextChoices):
        URBAN = "urban", _("Urban community")
        RURAL = "rural", _("Rural community (village)")

    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="communities"
    )
    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, db_index=True)
    urban_rural_code = models.CharField(_("urban-rural code"), max_length=3, blank=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="community_name_unique"),
        ]

    def __str__(self):
        return self.name


# ---------------------------------------------------------------------------------------------
# Organisations


class OrgType(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("Social group")
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise", _("Private non-enterprise unit")
    FOUNDATION = "foundation", _("Foundation")
    COMMUNITY = "community", _("Community organisation (filed)")


LEGAL_TYPES = (OrgType.SOCIAL_GROUP, OrgType.PRIVATE_NON_ENTERPRISE, OrgType.FOUNDATION)


class RegistrationMode(models.TextChoices):
    DIRECT = "direct", _("Direct registration")
    DUAL = "dual", _("Dual management")
    FILED = "filed", _("Filed")


class Sector(models.TextChoices):
    INDUSTRY_ASSOCIATION = "industry_association", _("Industry association or chamber")
    SCIENCE_TECH = "science_tech", _("Science and technology")
    CHARITY = "charity", _("Public welfare and charity")
    COMMUNITY_SERVICE = "community_service", _("Urban and rural community services")
    OTHER = "other", _("Other")


class OrgStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DEREGISTERED = "deregistered", _("Deregistered")
    REVOKED = "revoked", _("Revoked")


class Decoupling(models.TextChoices):
    NOT_APPLICABLE = "", _("Not applicable")
    PENDING = "pending", _("Ties to an administrative body, not yet decoupled")
    COMPLETED = "completed", _("Decoupled")


class Grade(models.TextChoices):
    A5 = "5A", "5A"
    A4 = "4A", "4A"
    A3 = "3A", "3A"
    A2 = "2A", "2A"
    A1 = "1A", "1A"


@functools.lru_cache(maxsize=65536)
def credit_code_is_valid(code: str, org_type: str) -> bool:
    """Whether the code is a valid GB 32100 code for an organisation of that type (the check
    digits cannot be computed in SQL, so this is stored as ``Organisation.credit_code_valid``).
    A pure function of its two strings, remembered: an import asks it twice a row."""
    from .validators import validate_credit_code

    if not code:
        return False
    try:
        validate_credit_code(code, org_type or None)
    except ValidationError:
        return False
    return True


class OrganisationQuerySet(models.QuerySet):
    # bulk_create and bulk_update (imports, benchmark data) do not call save(): they set the
    # stored credit-code flag themselves. A plain .update(credit_code=...) would not; none exists.
    def before_bulk_create(self, objs) -> None:
        """Also called by zhenhai_so.bulk.bulk_insert (COPY) before it writes the rows."""
        for obj in objs:
            obj.set_credit_code_valid()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self.before_bulk_create(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def with_grade(self, grade: str, on: datetime.date | None = None):
        """Organisations holding the grade on the date (today): a grade is valid five years from
        its publication, and an expired one is no longer the organisation's grade."""
        return self.filter(grade=grade, grade_expires_on__gte=on or timezone.localdate())

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        fields = list(fields)
        if {"credit_code", "org_type"} & set(fields):
            for obj in objs:
                obj.set_credit_code_valid()
            if "credit_code_valid" not in fields:
                fields.append("credit_code_valid")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def visible_to(self, user):
        """What the user may see: everything, or only their township for township offices."""
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(township_id=township_id)

    def legal(self):
        return self.filter(org_type__in=LEGAL_TYPES)

    def active_on(self, date: datetime.date):
        """Registered (or filed) on or before the date and not dissolved by then."""
        return self.filter(registered_on__lte=date).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=date)
        )

    def legal_on(self, date: datetime.date):
        """Legal SOs on the date, as TARGETS.md defines them."""
        return self.legal().active_on(date)

    def for_list(self):
        return self.select_related("township", "community").only(
            "id",
            "name",
            "credit_code",
            "org_type",
            "registration_mode",
            "sector",
            "status",
            "registered_on",
            "dissolved_on",
            "grade",
            "grade_expires_on",
            "legal_representative",
            "township__name",
            "community__name",
        )


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, db_index=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, db_index=True
    )
    # Kept by save() and the bulk writes from credit_code and org_type (target R4 counts it).
    credit_code_valid = models.BooleanField(_("credit code valid"), default=False, editable=False)
    org_type = models.CharField(_("type"), max_length=24, choices=OrgType.choices, db_index=True)
    registration_mode = models.CharField(
        _("registration mode"), max_length=8, choices=RegistrationMode.choices
    )
    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices, db_index=True)
    supervising_unit = models.CharField(_("supervising unit"), max_length=100, blank=True)
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="organisations"
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    capital = models.DecimalField(
        _("registered capital (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    registered_on = models.DateField(_("registered on"), db_index=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=OrgStatus.choices,
        default=OrgStatus.NORMAL,
        db_index=True,
    )
    is_hub = models.BooleanField(_("hub / support organisation"), default=False)
    decoupling = models.CharField(
        _("decoupling from administrative bodies"),
        max_length=10,
        choices=Decoupling.choices,
        blank=True,
        default=Decoupling.NOT_APPLICABLE,
    )
    decoupled_on = models.DateField(_("decoupled on"), null=True, blank=True)
    # Written by the evaluation app's publish service, so the register can filter on it.
    grade = models.CharField(_("evaluation grade"), max_length=2, choices=Grade.choices, blank=True)
    grade_expires_on = models.DateField(_("grade valid until"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        permissions = [("export_organisation", _("Can export organisations"))]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="org_credit_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(org_type=OrgType.COMMUNITY) | ~Q(credit_code=""),
                name="org_legal_has_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(org_type=OrgType.COMMUNITY, registration_mode=RegistrationMode.FILED)
                | (~Q(org_type=OrgType.COMMUNITY) & ~Q(registration_mode=RegistrationMode.FILED)),
                name="org_filed_only_community",
            ),
            models.CheckConstraint(
                condition=~Q(registration_mode=RegistrationMode.DUAL) | ~Q(supervising_unit=""),
                name="org_dual_has_supervisor",
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(dissolved_on__gte=models.F("registered_on")),
                name="org_dissolved_after_registered",
            ),
            models.CheckConstraint(
                condition=Q(status=OrgStatus.NORMAL) | Q(dissolved_on__isnull=False),
                name="org_dissolved_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["township", "org_type"], name="org_township_type_idx"),
            models.Index(fields=["community", "registered_on"], name="org_community_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.set_credit_code_valid()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"credit_code", "org_type"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "credit_code_valid"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("registry:organisation_detail", args=[self.pk])

    def grade_valid_on(self, date: datetime.date) -> bool:
        """Whether the grade still holds on the date (valid five years from publication)."""
        return bool(self.grade and self.grade_expires_on and self.grade_expires_on >= date)

    @property
    def grade_is_current(self) -> bool:
        return self.grade_valid_on(timezone.localdate())

    @property
    def is_legal(self) -> bool:
        return self.org_type in LEGAL_TYPES

    def set_credit_code_valid(self) -> None:
        self.credit_code_valid = credit_code_is_valid(self.credit_code, self.org_type)

    def link(self):
        """The organisation's name linking to its page, for messages that name it."""
        return format_html('<a href="{}">{}</a>', self.get_absolute_url(), self.name)

    def get_constraints(self):
        # A taken credit code is refused by clean() in words, naming the organisation that holds
        # it; the database constraint stays as the backstop but is not validated a second time
        # (its own message would be "Constraint “org_credit_code_unique” is violated").
        return [
            (model, [c for c in constraints if c.name != "org_credit_code_unique"])
            for model, constraints in super().get_constraints()
        ]

    def duplicate_errors(self) -> dict:
        """A taken credit code, or a second active organisation of the same name in the same
        township (a community organisation filed twice included): the existing one, linked."""
        errors = {}
        others = Organisation.objects.exclude(pk=self.pk) if self.pk else Organisation.objects
        if self.credit_code:
            holder = others.filter(credit_code=self.credit_code).first()
            if holder is not None:
                errors["credit_code"] = [
                    format_html(
                        _("This credit code is already the code of {organisation}."),
                        organisation=holder.link(),
                    )
                ]
        if self.name and self.township_id and self.status == OrgStatus.NORMAL:
            namesake = others.filter(
                name=self.name, township_id=self.township_id, status=OrgStatus.NORMAL
            ).first()
            if namesake is not None:
                errors["name"] = [
                    format_html(
                        _(
                            "{organisation} of this township already has this name: an "
                            "organisation is registered or filed once."
                        ),
                        organisation=namesake.link(),
                    )
                ]
        return errors

    def clean(self):
        """Cross-field rules, with messages at the field (the constraints back them in the DB)."""
        from .validators import normalise_credit_code, validate_credit_code

        errors = future_date_errors(self, ["registered_on", "dissolved_on", "decoupled_on"])
        if self.credit_code:
            self.credit_code = normalise_credit_code(self.credit_code)
            try:
                validate_credit_code(self.credit_code, self.org_type or None)
            except ValidationError as error:
                errors["credit_code"] = error.messages
        elif self.org_type and self.org_type != OrgType.COMMUNITY:
            errors["credit_code"] = [_("A registered organisation needs its credit code.")]
        if self.org_type == OrgType.COMMUNITY and self.registration_mode not in (
            "",
            RegistrationMode.FILED,
        ):
            errors["registration_mode"] = [_("Community organisations are filed, not registered.")]
        if self.registration_mode == RegistrationMode.FILED and self.org_type not in (
            "",
            OrgType.COMMUNITY,
        ):
            errors["registration_mode"] = [_("Only community organisations are filed.")]
        if self.registration_mode == RegistrationMode.DUAL and not self.supervising_unit.strip():
            errors["supervising_unit"] = [_("Dual management needs a supervising unit.")]
        if (
            self.community_id
            and self.township_id
            and self.community.township_id != self.township_id
        ):
            errors["community"] = [_("This village or community is in another township.")]
        if self.dissolved_on and self.registered_on and self.dissolved_on < self.registered_on:
            errors.setdefault("dissolved_on", []).append(
                _("The dissolution date is before the registration date.")
            )
        if self.status != OrgStatus.NORMAL and not self.dissolved_on:
            errors.setdefault("dissolved_on", []).append(
                _("A deregistered or revoked organisation needs the date.")
            )
        if self.status == OrgStatus.NORMAL and self.dissolved_on:
            errors["status"] = [_("An organisation with a dissolution date cannot be normal.")]
        for name, messages in self.duplicate_errors().items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)


# ---------------------------------------------------------------------------------------------
# Registration applications


class RegistrationApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(township_id=township_id)

    def awaiting_review(self):
        return self.filter(state=RegistrationApplication.State.SUBMITTED)


class RegistrationApplication(models.Model):
    """An application to establish, change or deregister an organisation.

    draft → submitted → returned ↔ submitted → approved | rejected; approving applies it.
    The proposed facts live in ``data`` (field name → value, as the organisation form sends them),
    so one application can carry any subset of an organisation's fields.
    """

    class Kind(models.TextChoices):
        ESTABLISH = "establish", _("Establishment")
        CHANGE = "change", _("Change")
        DEREGISTER = "deregister", _("Deregistration")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    township = models.ForeignKey(Township, verbose_name=_("township"), on_delete=models.PROTECT)
    name = models.CharField(_("organisation name"), max_length=200)
    data = models.JSONField(_("proposed facts"), default=dict, blank=True)
    applicant = models.CharField(_("applicant (contact person)"), max_length=50, blank=True)
    reason = models.TextField(_("last decision's reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = RegistrationApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="establish") | Q(organisation__isnull=False),
                name="application_change_has_organisation",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"


class ApplicationStep(models.Model):
    """One move of an application, with who, when and why."""

    application = models.ForeignKey(
        RegistrationApplication, on_delete=models.CASCADE, related_name="steps"
    )
    from_state = models.CharField(
        max_length=10, choices=RegistrationApplication.State.choices, blank=True
    )
    to_state = models.CharField(max_length=10, choices=RegistrationApplication.State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.application_id}: {self.from_state} → {self.to_state}"


# ---------------------------------------------------------------------------------------------
# Annual reports


class AnnualReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(organisation__township_id=township_id)


SUBMISSION_REQUIRED = _("The date of submission is required for a report with a result or facts.")


def annual_report_due_date(year: int) -> datetime.date:
    """Reports of year Y are due on 31 May of Y+1 (《社会组织年度工作报告》 practice)."""
    return datetime.date(year + 1, 5, 31)


class AnnualReport(models.Model):
    class Result(models.TextChoices):
        QUALIFIED = "qualified", _("Qualified")
        BASICALLY = "basically", _("Basically qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="annual_reports",
    )
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, blank=True)
    full_time_staff = models.PositiveIntegerField(_("full-time staff"), null=True, blank=True)
    office_area = models.DecimalField(
        _("office area (m²)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    office_independent = models.BooleanField(_("independent office"), default=False)
    has_finance_system = models.BooleanField(_("financial management system"), default=False)
    has_assembly = models.BooleanField(_("members' (representatives') assembly"), default=False)
    has_council = models.BooleanField(_("council / board"), default=False)
    has_supervisor = models.BooleanField(_("supervisor / board of supervisors"), default=False)
    party_members = models.PositiveIntegerField(_("formal party members"), null=True, blank=True)
    charter_party_clause = models.BooleanField(_("party-building clause in charter"), default=False)
    income = models.DecimalField(
        _("income (10,000 yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    spending = models.DecimalField(
        _("spending (10,000 yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnnualReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year", "organisation_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="annual_report_unique"),
        ]

    def __str__(self):
        return f"{self.organisation} {self.year}"

    @property
    def due_on(self) -> datetime.date:
        return annual_report_due_date(self.year)

    FACTS = (
        "result", "full_time_staff", "office_area", "office_independent", "has_finance_system",
        "has_assembly", "has_council", "has_supervisor", "party_members",
        "charter_party_clause", "income", "spending",
    )  # fmt: skip

    @classmethod
    def missing_submission(cls, values: dict) -> bool:
        """Whether a report with a result or any fact lacks its date of submission: a report
        that counts nowhere (every figure is dated by its submission, ``docs/targets.md``)."""
        has_facts = any(values.get(name) not in (None, "", False) for name in cls.FACTS)
        return has_facts and not values.get("submitted_on")

    def clean(self):
        raise_future_dates(self, ["submitted_on"])
        if self.missing_submission(
            {name: getattr(self, name) for name in (*self.FACTS, "submitted_on")}
        ):
            raise ValidationError({"submitted_on": SUBMISSION_REQUIRED})


# ---------------------------------------------------------------------------------------------
# Supervision: spot checks and lists


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(organisation__township_id=township_id)


class Inspection(models.Model):
    """A 双随机 spot check: a randomly drawn organisation inspected by randomly drawn staff."""

    class Result(models.TextChoices):
        PASSED = "passed", _("No problems found")
        RECTIFY = "rectify", _("Rectification required")
        PENALTY = "penalty", _("Referred for penalty")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="inspections",
    )
    inspected_on = models.DateField(_("inspected on"), db_index=True)
    inspectors = models.CharField(_("inspectors"), max_length=100, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    findings = models.TextField(_("findings"), blank=True)
    published_on = models.DateField(_("result published on"), null=True, blank=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-id"]

    def __str__(self):
        return f"{self.organisation} {self.inspected_on}"

    def clean(self):
        raise_future_dates(self, ["inspected_on", "published_on"])


class ListEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        township_id = user.scope_township_id
        return self if township_id is None else self.filter(organisation__township_id=township_id)

    def current_on(self, date: datetime.date):
        return self.filter(listed_on__lte=date).filter(
            Q(removed_on__isnull=True) | Q(removed_on__gt=date)
        )


class ListEntry(models.Model):
    """An entry on the abnormal-activity list (活动异常名录) or the serious-violation list (严重违法
    失信名单), per 《社会组织信用信息管理办法》 (民政部令第60号, 2018). Removal keeps the entry."""

    class Kind(models.TextChoices):
        ABNORMAL = "abnormal", _("Abnormal activity list")
        SERIOUS = "serious", _("Serious violation list")

    class Reason(models.TextChoices):
        REPORT_LATE = "report_late", _("Annual report not submitted in time")
        NO_PARTY = "no_party", _("No party organisation where one is required")
        NOT_RECTIFIED = "not_rectified", _("Rectification not completed")
        UNREACHABLE = "unreachable", _("Unreachable at the registered address")
        TWO_YEARS_ABNORMAL = "two_years", _("Two years on the abnormal list")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="list_entries",
    )
    kind = models.CharField(_("list"), max_length=10, choices=Kind.choices, db_index=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    details = models.TextField(_("details"), blank=True)
    listed_on = models.DateField(_("listed on"), db_index=True)
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removal_reason = models.TextField(_("removal reason"), blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["-listed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=Q(removed_on__isnull=True),
                name="list_entry_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("listed_on")),
                name="list_entry_removed_after_listed",
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.get_kind_display()}"

    def clean(self):
        raise_future_dates(self, ["listed_on", "removed_on"])


# ---------------------------------------------------------------------------------------------
# 双随机、一公开: spot-check plans, the inspectors' pool and the random draw


class InspectorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Inspector(models.Model):
    """One of the pool of law-enforcement inspectors (执法检查人员名录库) the draw pairs with the
    drawn organisations. ``linked_organisations`` are those he may not inspect (he works there,
    sits on their board, is related to their officers: 回避)."""

    name = models.CharField(_("name"), max_length=50)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    is_active = models.BooleanField(_("in the pool"), default=True)
    linked_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations he is linked to"),
        related_name="linked_inspectors",
        blank=True,
    )

    objects = InspectorQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class SpotCheckPlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """District-wide users see every plan; a township office those covering its township."""
        township_id = user.scope_township_id
        if township_id is None:
            return self
        return self.filter(Q(townships__isnull=True) | Q(townships=township_id)).distinct()

    def drawn(self):
        return self.exclude(seed="")


class SpotCheckPlan(models.Model):
    """A year's spot-check plan: which organisations may be drawn (types, townships) and how many
    (a share of them or a number). The draw records its seed and its pools, so anyone can repeat
    it (``services.spot_check_repeat``)."""

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    title = models.CharField(_("title"), max_length=200)
    org_types = models.JSONField(_("organisation types"), default=list)
    townships = models.ManyToManyField(
        Township,
        verbose_name=_("townships (none: every township)"),
        related_name="spot_check_plans",
        blank=True,
    )
    share = models.DecimalField(
        _("share to draw (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    count = models.PositiveIntegerField(_("number to draw"), null=True, blank=True)
    seed = models.CharField(_("random seed"), max_length=64, blank=True, editable=False)
    organisation_pool = models.JSONField(_("organisation pool"), default=list, editable=False)
    inspector_pool = models.JSONField(_("inspector pool"), default=list, editable=False)
    drawn_on = models.DateField(_("drawn on"), null=True, blank=True, editable=False)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SpotCheckPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-check plan")
        verbose_name_plural = _("spot-check plans")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=100),
                name="spot_check_share_percent",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_drawn(self) -> bool:
        return bool(self.seed)

    def clean(self):
        if (self.share is None) == (self.count is None):
            raise ValidationError(
                {"count": _("Give either the share or the number of organisations to draw.")}
            )
        unknown = set(self.org_types) - set(OrgType.values)
        if not self.org_types or unknown:
            raise ValidationError({"org_types": _("Choose the organisation types to draw from.")})


class DrawnOrganisation(models.Model):
    """An organisation the draw picked, the two inspectors it paired with it, and, once
    recorded, the inspection (the result that target G2 counts)."""

    plan = models.ForeignKey(SpotCheckPlan, on_delete=models.CASCADE, related_name="drawn")
    position = models.PositiveIntegerField(_("order of the draw"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="spot_check_draws",
    )
    inspectors = models.ManyToManyField(Inspector, verbose_name=_("inspectors"), related_name="+")
    inspection = models.OneToOneField(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="draw",
    )

    class Meta:
        verbose_name = _("drawn organisation")
        verbose_name_plural = _("drawn organisations")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "organisation"], name="drawn_once_per_plan"),
            models.UniqueConstraint(fields=["plan", "position"], name="drawn_position_unique"),
        ]

    def __str__(self):
        return f"{self.plan}: {self.organisation}"
