import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenhai_so.filtering import PortalFilterSet

from .models import (
    AnnualReport,
    Community,
    Grade,
    ListEntry,
    Organisation,
    OrgStatus,
    OrgType,
    RegistrationApplication,
    RegistrationMode,
    Sector,
    Township,
)


class _ScopedFilterSet(PortalFilterSet):
    """Limits township and community choices to what the user may see (SECURITY.md item 9)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        townships = Township.objects.all()
        communities = Community.objects.select_related("township")
        if user.scope_township_id is not None:
            townships = townships.filter(pk=user.scope_township_id)
            communities = communities.filter(township_id=user.scope_township_id)
        if "township" in self.filters:
            self.filters["township"].queryset = townships
        if "community" in self.filters:
            self.filters["community"].queryset = communities


class OrganisationFilter(_ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    org_type = django_filters.ChoiceFilter(label=_("Type"), choices=OrgType.choices)
    registration_mode = django_filters.ChoiceFilter(
        label=_("Registration mode"), choices=RegistrationMode.choices
    )
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices)
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none()
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Village / community"), queryset=Community.objects.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OrgStatus.choices)
    grade = django_filters.ChoiceFilter(
        label=_("Evaluation grade"), choices=Grade.choices, method="filter_grade"
    )
    listed = django_filters.ChoiceFilter(
        label=_("On a list now"), choices=ListEntry.Kind.choices, method="filter_listed"
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("name", "name"),
            ("registered_on", "registered_on"),
            ("township__order", "township"),
        ),
        field_labels={
            "name": _("Name"),
            "registered_on": _("Registered on"),
            "township__order": _("Township"),
        },
    )

    class Meta:
        model = Organisation
        fields = [
            "q",
            "org_type",
            "registration_mode",
            "sector",
            "township",
            "community",
            "status",
            "grade",
            "listed",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))

    def filter_grade(self, queryset, name, value):
        """A grade counts while it is valid (five years from publication), as on public pages."""
        return queryset.with_grade(value)

    def filter_listed(self, queryset, name, value):
        today = timezone.localdate()
        open_entries = ListEntry.objects.current_on(today).filter(
            organisation=OuterRef("pk"), kind=value
        )
        return queryset.filter(Exists(open_entries))


class ApplicationFilter(_ScopedFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=RegistrationApplication.State.choices
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=RegistrationApplication.Kind.choices
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none()
    )
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = RegistrationApplication
        fields = ["state", "kind", "township", "q"]


class AnnualReportFilter(_ScopedFilterSet):
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none(), field_name="township"
    )
    org_type = django_filters.ChoiceFilter(label=_("Type"), choices=OrgType.choices[:3])
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")

    class Meta:
        model = Organisation
        fields = ["township", "org_type", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))


class ListEntryFilter(PortalFilterSet):
    kind = django_filters.ChoiceFilter(label=_("List"), choices=ListEntry.Kind.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=ListEntry.Reason.choices)
    current = django_filters.BooleanFilter(label=_("Still listed"), method="filter_current")

    class Meta:
        model = ListEntry
        fields = ["kind", "reason", "current"]

    def filter_current(self, queryset, name, value):
        return queryset.filter(removed_on__isnull=value)


ANNUAL_RESULT_CHOICES = AnnualReport.Result.choices
