from itertools import groupby
from operator import itemgetter

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenhai_so import dataversion
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


class ScopedFilterSet(PortalFilterSet):
    """A filter set for a user: its ``township`` and ``community`` filters offer only the
    townships and villages/communities the user may see (SECURITY.md item 9).

    Their select lists are read as plain (id, name) rows, the villages grouped by township,
    instead of through Django's model choice iterator (a server-side cursor and 200 model
    instances on every register list, about 10 ms), and kept in the cache under the data
    version (``zhenhai_so.dataversion``) for each township scope; the querysets still validate
    what is sent.
    The filter sets of every app that has a township filter are built on this one."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "township" in self.filters:
            self.filters["township"].queryset = Township.objects.visible_to(user)
        if "community" in self.filters:
            self.filters["community"].queryset = Community.objects.visible_to(user)

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_plain_choices", False):
            township = form.fields.get("township")
            if township is not None:
                township.widget.choices = [*_blank_choices(township), *township_choices(self.user)]
            community = form.fields.get("community")
            if community is not None:
                groups = dataversion.cached(
                    "community-choices",
                    (self.user.scope_township_id,),
                    lambda: _community_groups(community.queryset),
                )
                community.widget.choices = [*_blank_choices(community), *groups]
            form._plain_choices = True
        return form


def township_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the townships the user may see, in their order, for a select list; kept in
    the cache under the data version."""
    return dataversion.cached(
        "township-choices",
        (user.scope_township_id,),
        lambda: list(Township.objects.visible_to(user).values_list("pk", "name")),
    )


def _community_groups(communities) -> list[tuple[str, list[tuple[int, str]]]]:
    """(township name, [(id, name), ...]) for each township, in the townships' order."""
    rows = communities.order_by("township__order", "township__code", "code").values_list(
        "township__name", "pk", "name"
    )
    return [
        (name, [(pk, label) for _t, pk, label in group])
        for name, group in groupby(rows, key=itemgetter(0))
    ]


def _blank_choices(field) -> list:
    """The choices a model choice filter shows before its objects: "All", and the "none"
    choice when the filter has one."""
    blank = [] if field.empty_label is None else [("", field.empty_label)]
    if getattr(field, "null_label", None) is not None:
        blank.append((field.null_value, field.null_label))
    return blank


class OrganisationFilter(ScopedFilterSet):
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


class ApplicationFilter(ScopedFilterSet):
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


class AnnualReportFilter(ScopedFilterSet):
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
