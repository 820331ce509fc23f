import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.filters import ScopedFilterSet
from registry.models import Township
from zhenhai_so.filtering import PortalFilterSet

from .models import Award, Brand, CatalogueItem, Project


def _years():
    return [(y, str(y)) for y in range(2024, 2012, -1)]


class ProjectFilter(ScopedFilterSet):
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Project.Channel.choices)
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    state = django_filters.ChoiceFilter(label=_("State"), choices=Project.State.choices)
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none()
    )
    buyer = django_filters.CharFilter(label=_("Buying department"), lookup_expr="icontains")
    organisation = django_filters.CharFilter(label=_("Organisation"), method="filter_organisation")
    q = django_filters.CharFilter(
        label=_("Project name"), field_name="name", lookup_expr="icontains"
    )
    catalogue_item = django_filters.ModelChoiceFilter(
        label=_("Guidance catalogue service"), queryset=CatalogueItem.objects.all()
    )
    # The totals page leaves terminated projects out; its figures link here with counted=1.
    counted = django_filters.BooleanFilter(
        label=_("Leave out terminated projects"), method="filter_counted"
    )

    class Meta:
        model = Project
        fields = [
            "channel",
            "year",
            "state",
            "township",
            "buyer",
            "organisation",
            "q",
            "catalogue_item",
            "counted",
        ]

    def filter_counted(self, queryset, name, value):
        return queryset.exclude(state=Project.State.TERMINATED) if value else queryset

    def filter_organisation(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(organisation__name__icontains=value)
            | Q(organisation__credit_code__iexact=value.upper())
        )


class AwardFilter(PortalFilterSet):
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Award.Kind.choices)

    class Meta:
        model = Award
        fields = ["year", "kind"]


class BrandFilter(ScopedFilterSet):
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Brand.Level.choices)
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none()
    )

    class Meta:
        model = Brand
        fields = ["level", "year", "township"]
