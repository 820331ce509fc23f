import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenhai_so.forms import PortalForm, PortalModelForm

from .models import (
    AnnualReport,
    Community,
    Inspection,
    Inspector,
    ListEntry,
    Organisation,
    OrgType,
    SpotCheckPlan,
    Township,
)
from .validators import normalise_credit_code

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ScopedOrganisationForm(PortalModelForm):
    """Carries the version the user opened (for stale-edit detection) and limits the township and
    community choices to the user's scope."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if "township" in self.fields and user.scope_township_id is not None:
            self.fields["township"].queryset = Township.objects.filter(pk=user.scope_township_id)
        if "community" in self.fields:
            visible = Community.objects.visible_to(user).order_by("code")
            # Every visible township's communities, for the page script that refreshes the
            # select when the township changes (static/js/registry.js).
            self.communities_by_township = {}
            for community_id, township_id, name in visible.values_list("id", "township_id", "name"):
                self.communities_by_township.setdefault(township_id, []).append(
                    [community_id, name]
                )
            field = self.fields["community"]
            field.queryset = visible.filter(township_id=self._chosen_township_id())
            field.widget.attrs.update(
                {"data-communities": "communities-data", "data-township-field": "id_township"}
            )

    def _chosen_township_id(self) -> int | None:
        """The township whose communities the select offers: the office's own, the one posted,
        or the record's."""
        if self.user.scope_township_id is not None:
            return self.user.scope_township_id
        if self.is_bound and "township" in self.fields:
            posted = str(self.data.get(self.add_prefix("township"), ""))
            return int(posted) if posted.isascii() and posted.isdigit() else None
        return self.instance.township_id or self.initial.get("township")

    def clean_credit_code(self):
        return normalise_credit_code(self.cleaned_data.get("credit_code") or "")


class OrganisationForm(_ScopedOrganisationForm):
    """Bureau staff: every fact of any organisation."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "credit_code",
            "org_type",
            "registration_mode",
            "sector",
            "supervising_unit",
            "township",
            "community",
            "address",
            "legal_representative",
            "phone",
            "capital",
            "registered_on",
            "dissolved_on",
            "status",
            "is_hub",
            "decoupling",
            "decoupled_on",
        ]
        widgets = {"registered_on": DATE, "dissolved_on": DATE, "decoupled_on": DATE}


class FiledOrganisationForm(_ScopedOrganisationForm):
    """Township offices: a filed community organisation of their own township."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "sector",
            "community",
            "address",
            "legal_representative",
            "phone",
            "registered_on",
            "dissolved_on",
            "status",
        ]
        # A filed community organisation has a person in charge (负责人), not a legal
        # representative: it is no legal person.
        labels = {"registered_on": _("Filed on"), "legal_representative": _("Person in charge")}
        widgets = {"registered_on": DATE, "dissolved_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].required = True


class ApplicationOrganisationForm(_ScopedOrganisationForm):
    """The facts an establishment or change application proposes."""

    applicant = forms.CharField(
        label=_("Applicant (contact person)"), max_length=50, required=False
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "credit_code",
            "org_type",
            "registration_mode",
            "sector",
            "supervising_unit",
            "township",
            "community",
            "address",
            "legal_representative",
            "phone",
            "capital",
            "registered_on",
            "is_hub",
        ]
        labels = {"registered_on": _("Registration date (on approval)")}
        widgets = {"registered_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A draft may be incomplete; everything is checked when it is submitted.
        for name, field in self.fields.items():
            if name not in ("name", "township"):
                field.required = False

    def _post_clean(self):
        # Model validation runs on approval; a draft may be incomplete. Run the model's own
        # field checks only for what was entered, so errors still show at the field.
        try:
            self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
            self.instance.clean_fields(exclude=self._get_validation_exclusions())
        except forms.ValidationError as error:
            self._update_errors(error)


class DeregistrationForm(PortalForm):
    dissolved_on = forms.DateField(label=_("Deregistration date"), widget=DATE)
    applicant = forms.CharField(
        label=_("Applicant (contact person)"), max_length=50, required=False
    )
    reason = forms.CharField(
        label=_("Reason for deregistering"), widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason (required to return or reject)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )


class ApprovalFactsForm(PortalForm):
    """What the approver of an establishment fills in: the registration date and the credit code
    on the certificate (left empty when the application already carries them)."""

    registered_on = forms.DateField(label=_("Registration date"), widget=DATE, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False
    )

    def clean_credit_code(self):
        return normalise_credit_code(self.cleaned_data.get("credit_code") or "")


class AnnualReportForm(PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AnnualReport
        fields = [
            "submitted_on",
            "result",
            "full_time_staff",
            "office_area",
            "office_independent",
            "has_finance_system",
            "has_assembly",
            "has_council",
            "has_supervisor",
            "party_members",
            "charter_party_clause",
            "income",
            "spending",
        ]
        widgets = {"submitted_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_submitted_on(self):
        value = self.cleaned_data.get("submitted_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return value

    def validate_unique(self):
        # (organisation, year) is fixed by the URL; the service handles create-or-update.
        pass


class InspectionForm(PortalModelForm):
    class Meta:
        model = Inspection
        fields = ["inspected_on", "inspectors", "result", "findings", "published_on"]
        widgets = {"inspected_on": DATE, "published_on": DATE}

    def clean(self):
        cleaned = super().clean()
        inspected, published = cleaned.get("inspected_on"), cleaned.get("published_on")
        if inspected and published and published < inspected:
            self.add_error(
                "published_on", _("The result cannot be published before the inspection.")
            )
        return cleaned


class ListEntryForm(PortalForm):
    kind = forms.ChoiceField(label=_("List"), choices=ListEntry.Kind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=ListEntry.Reason.choices)
    details = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    listed_on = forms.DateField(label=_("Listed on"), widget=DATE, initial=timezone.localdate)


class ListRemovalForm(PortalForm):
    removed_on = forms.DateField(label=_("Removed on"), widget=DATE, initial=timezone.localdate)
    removal_reason = forms.CharField(
        label=_("Reason for removal"), widget=forms.Textarea(attrs={"rows": 3})
    )


class YearForm(PortalForm):
    year = forms.IntegerField(label=_("Report year"), min_value=2000, max_value=2100)

    @staticmethod
    def default_year(today: datetime.date) -> int:
        """The latest year whose reports are due by now, or the one being collected."""
        return today.year - 1


class SpotCheckPlanForm(PortalModelForm):
    """A year's spot-check plan: what it draws from and how many."""

    org_types = forms.MultipleChoiceField(
        label=_("Organisation types"),
        choices=OrgType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    townships = forms.ModelMultipleChoiceField(
        label=_("Townships (none: every township)"),
        queryset=Township.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = SpotCheckPlan
        fields = ["year", "title", "org_types", "share", "count"]


class InspectorForm(PortalModelForm):
    """An inspector of the pool and the organisations he may not inspect, by credit code."""

    linked_codes = forms.CharField(
        label=_("Credit codes of the organisations he is linked to (one a line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    class Meta:
        model = Inspector
        fields = ["name", "unit", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["linked_codes"].initial = "\n".join(
                self.instance.linked_organisations.exclude(credit_code="").values_list(
                    "credit_code", flat=True
                )
            )

    def clean_linked_codes(self):
        codes = [
            normalise_credit_code(line)
            for line in self.cleaned_data.get("linked_codes", "").splitlines()
        ]
        codes = [code for code in codes if code]
        found = {o.credit_code: o for o in Organisation.objects.filter(credit_code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(
                _("No organisation has the credit code %(codes)s.") % {"codes": "、".join(unknown)}
            )
        return list(found.values())


class SpotCheckResultForm(PortalModelForm):
    """The result of a drawn organisation's inspection; its publication date publishes it."""

    class Meta:
        model = Inspection
        fields = ["inspected_on", "result", "findings", "published_on"]
        widgets = {"inspected_on": DATE, "published_on": DATE}

    def clean(self):
        cleaned = super().clean()
        inspected, published = cleaned.get("inspected_on"), cleaned.get("published_on")
        if inspected and published and published < inspected:
            self.add_error(
                "published_on", _("The result cannot be published before the inspection.")
            )
        return cleaned
