"""Party building in social organisations (plan 2018–2020 三(一)): party organisations set up
alone or jointly, party-building instructors, demonstration sites, party-mass service centres and
trainings."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation, Township
from zhenhai_so.validators import raise_future_dates


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    TOWNSHIP = "township", _("Township")


def _scoped(queryset, user, field: str):
    township_id = user.scope_township_id
    return queryset if township_id is None else queryset.filter(**{field: township_id})


def _district_or_own(queryset, user):
    """District-level records are everyone's; township-level ones only their township's."""
    township_id = user.scope_township_id
    if township_id is None:
        return queryset
    return queryset.filter(Q(level=Level.DISTRICT) | Q(township_id=township_id))


def active_on_q(date: datetime.date, start: str, end: str, prefix: str = "") -> Q:
    """Started on or before the date and not ended before it (an end date is the last day)."""
    return Q(**{f"{prefix}{start}__lte": date}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gte": date})
    )


# ---------------------------------------------------------------------------------------------
# Party organisations and instructors


class PartyOrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "township_id")

    def active_on(self, date: datetime.date):
        return self.filter(established_on__lte=date).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=date)
        )


class PartyOrganisation(models.Model):
    """A party organisation (党支部 etc.) set up in one organisation (单独组建) or jointly for
    several (联合组建)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Set up alone")
        JOINT = "joint", _("Set up jointly")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, db_index=True)
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations covered"), related_name="party_organisations"
    )
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        related_name="party_organisations",
    )
    established_on = models.DateField(_("established on"), db_index=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    secretary = models.CharField(_("secretary"), max_length=50, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyOrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["township__order", "name", "id"]
        permissions = [("export_partybuilding", _("Can export party-building lists"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(dissolved_on__gte=models.F("established_on")),
                name="party_org_dissolved_after_established",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        raise_future_dates(self, ["established_on", "dissolved_on"])
        if self.dissolved_on and self.established_on and self.dissolved_on < self.established_on:
            raise ValidationError({"dissolved_on": _("Dissolved before it was established.")})


class InstructorAssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organisation__township_id")

    def active_on(self, date: datetime.date):
        return self.filter(active_on_q(date, "starts_on", "ends_on"))


class InstructorAssignment(models.Model):
    """A party-building instructor (党建指导员) assigned to an organisation for a period."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="instructor_assignments",
    )
    instructor = models.CharField(_("instructor"), max_length=50)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InstructorAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("instructor assignment")
        verbose_name_plural = _("instructor assignments")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="instructor_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "starts_on"], name="instructor_org_start_idx"),
        ]

    def __str__(self):
        return f"{self.instructor} → {self.organisation}"


# ---------------------------------------------------------------------------------------------
# Sites, centres, trainings


class DemonstrationSiteQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organisation__township_id")


class DemonstrationSite(models.Model):
    """A party-building demonstration site (党建示范点); the plan wants two a year (三(一)2)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="demonstration_sites",
    )
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    named_on = models.DateField(_("named on"))
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DemonstrationSiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("demonstration site")
        verbose_name_plural = _("demonstration sites")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="site_unique"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        raise_future_dates(self, ["named_on"])


class PartyServiceCentreQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _district_or_own(self, user)


class PartyServiceCentre(models.Model):
    """A party-mass service centre (党群服务中心) for social organisations, district or township."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        BUILDING = "building", _("Being built")
        WORKING = "working", _("Working")

    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_service_centres",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyServiceCentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("party-mass service centre")
        verbose_name_plural = _("party-mass service centres")
        ordering = ["level", "township__order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="district", township__isnull=True)
                | Q(level="township", township__isnull=False),
                name="centre_township_matches_level",
            ),
            models.CheckConstraint(
                condition=~Q(state="working") | Q(opened_on__isnull=False),
                name="centre_working_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        raise_future_dates(self, ["opened_on"])
        errors = {}
        if self.level == Level.TOWNSHIP and not self.township_id:
            errors["township"] = [_("A township centre needs its township.")]
        if self.level == Level.DISTRICT and self.township_id:
            errors["township"] = [_("The district centre belongs to no township.")]
        if self.state == self.State.WORKING and not self.opened_on:
            errors["opened_on"] = [_("A working centre needs its opening date.")]
        if errors:
            raise ValidationError(errors)


class TrainingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _district_or_own(self, user)

    def district(self):
        return self.filter(level=Level.DISTRICT)

    def held_in(self, year: int):
        return self.filter(held_on__year=year)


class Training(models.Model):
    """A training or study class (plan 三(一)3 and 三(四)3)."""

    class Kind(models.TextChoices):
        LEADERS = "leaders", _("Training for party organisation leaders")
        ACTIVISTS = "activists", _("Training for party activists")
        STAFF_ROTATION = "staff_rotation", _("Rotation training of full-time staff")
        STUDY_CLASS = "study_class", _("Study class")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainings",
    )
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=100)
    attendees = models.PositiveIntegerField(_("attendees"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="district", township__isnull=True)
                | Q(level="township", township__isnull=False),
                name="training_township_matches_level",
            ),
        ]
        indexes = [models.Index(fields=["kind", "level", "held_on"], name="training_kind_idx")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"

    def clean(self):
        raise_future_dates(self, ["held_on"])
        if self.level == Level.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("A township training needs its township.")})
        if self.level == Level.DISTRICT and self.township_id:
            raise ValidationError({"township": _("A district training belongs to no township.")})


class TrainingEnrolment(models.Model):
    """A representative enrolled in a study class (研修班, plan 三(四)3: 每年筛选10-15名优秀社会
    组织代表组成区级社会组织研修班)."""

    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="enrolments"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="training_enrolments",
    )
    person = models.CharField(_("representative"), max_length=50)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["organisation__name", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["training", "organisation", "person"], name="enrolment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.organisation})"
