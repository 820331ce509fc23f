import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.filters import ScopedFilterSet
from registry.models import LEGAL_TYPES, Grade, Organisation, OrgType, Township

from .models import Evaluation

NO_GRADE = "none"


class EvaluationFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")
    grade = django_filters.ChoiceFilter(
        label=_("Grade"),
        choices=[*Grade.choices, (NO_GRADE, _("Below 1A (no grade)"))],
        method="filter_grade",
    )
    org_type = django_filters.ChoiceFilter(
        label=_("Type"),
        field_name="organisation__org_type",
        choices=[(t.value, t.label) for t in LEGAL_TYPES],
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), field_name="organisation__township", queryset=Township.objects.none()
    )
    agency = django_filters.CharFilter(
        label=_("Evaluation agency"), field_name="agency", lookup_expr="icontains"
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=Evaluation.State.choices)

    class Meta:
        model = Evaluation
        fields = ["q", "year", "grade", "org_type", "township", "agency", "state"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(organisation__name__icontains=value)
            | Q(organisation__credit_code__icontains=value.upper())
        )

    def filter_grade(self, queryset, name, value):
        return queryset.filter(grade="" if value == NO_GRADE else value)


class OrganisationGradeFilter(ScopedFilterSet):
    """Filters of the lists of organisations (grades expiring, never evaluated)."""

    org_type = django_filters.ChoiceFilter(
        label=_("Type"), choices=[(t.value, t.label) for t in LEGAL_TYPES]
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none()
    )
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")

    class Meta:
        model = Organisation
        fields = ["org_type", "township", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))


TYPE_LABELS = {t.value: t.label for t in OrgType}
