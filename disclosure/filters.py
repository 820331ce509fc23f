"""Filters of the public pages. Procurement's choices are read lazily, so this module imports
without the procurement app."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Grade, ListEntry, OrgStatus, OrgType, Township
from zhenhai_so.filtering import PortalFilterSet

from . import selectors


def _years():
    # TypedChoiceFilter offers no empty choice of its own: without one the newest year would
    # look selected on an unfiltered page.
    years = [(y, str(y)) for y in range(timezone.localdate().year, 2012, -1)]
    return [("", "---------"), *years]


def _procurement_choices(model: str, enum: str):
    def choices():
        from django.apps import apps

        return getattr(apps.get_model("procurement", model), enum).choices

    return choices


class PublicOrganisationFilter(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    org_type = django_filters.ChoiceFilter(label=_("Type"), choices=OrgType.choices)
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.all()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OrgStatus.choices)
    grade = django_filters.ChoiceFilter(
        label=_("Evaluation grade"), choices=Grade.choices, method="filter_grade"
    )

    def search(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_grade(self, queryset, name, value):
        """A grade counts while it is valid (five years from publication)."""
        return queryset.with_grade(value)


class _ByOrganisationFilter(PortalFilterSet):
    """Rows of an organisation: found by its name or credit code, or by its township."""

    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.all(), field_name="organisation__township"
    )

    def search(self, queryset, name, value):
        return selectors.search(queryset, value, prefix="organisation__")


class PublicListEntryFilter(_ByOrganisationFilter):
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=ListEntry.Reason.choices)


class PublicInspectionFilter(_ByOrganisationFilter):
    year = django_filters.TypedChoiceFilter(
        label=_("Year"), choices=_years, coerce=int, field_name="published_on__year"
    )


class PublicProjectFilter(PortalFilterSet):
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=_procurement_choices("Project", "Channel")
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.all()
    )
    q = django_filters.CharFilter(label=_("Project or organisation"), method="search")

    def search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(organisation__name__icontains=value))


class PublicAwardFilter(PortalFilterSet):
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)


class PublicBrandFilter(PortalFilterSet):
    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=_years, coerce=int)
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=_procurement_choices("Brand", "Level")
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.all()
    )
