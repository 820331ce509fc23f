import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.filters import ScopedFilterSet
from registry.models import Township

from .models import (
    DemonstrationSite,
    InstructorAssignment,
    Level,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
)


def _years():
    return [(y, str(y)) for y in range(2024, 2012, -1)]


def _township_filter(field_name="township"):
    return django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none(), field_name=field_name
    )


class PartyOrganisationFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartyOrganisation.Kind.choices)
    township = _township_filter()
    active = django_filters.BooleanFilter(label=_("Active"), field_name="dissolved_on",
                                          lookup_expr="isnull")  # fmt: skip
    q = django_filters.CharFilter(label=_("Name or organisation"), method="search")

    class Meta:
        model = PartyOrganisation
        fields = ["kind", "township", "active", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(organisations__name__icontains=value)
        ).distinct()


class InstructorFilter(ScopedFilterSet):
    township = _township_filter("organisation__township")
    current = django_filters.BooleanFilter(label=_("Current"), field_name="ends_on",
                                           lookup_expr="isnull")  # fmt: skip
    q = django_filters.CharFilter(label=_("Instructor or organisation"), method="search")

    class Meta:
        model = InstructorAssignment
        fields = ["township", "current", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(instructor__icontains=value) | Q(organisation__name__icontains=value)
        )


class SiteFilter(ScopedFilterSet):
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    township = _township_filter("organisation__township")

    class Meta:
        model = DemonstrationSite
        fields = ["year", "township"]


class CentreFilter(ScopedFilterSet):
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Level.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=PartyServiceCentre.State.choices)
    township = _township_filter()

    class Meta:
        model = PartyServiceCentre
        fields = ["level", "state", "township"]


class TrainingFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Training.Kind.choices)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Level.choices)
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int,
                                            field_name="held_on__year")  # fmt: skip
    township = _township_filter()

    class Meta:
        model = Training
        fields = ["kind", "level", "year", "township"]
