import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation, Township
from registry.validators import normalise_credit_code
from zhenhai_so.editing import NaturalKeyField, UniqueAtFieldMixin, VersionedFormMixin
from zhenhai_so.forms import PortalForm, PortalModelForm

from .models import Award, Brand, CatalogueItem, PerformanceEvaluation, Project, RecommendedEntry

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def organisation_field(**kwargs) -> NaturalKeyField:
    """An organisation typed as its unified social credit code (contract 2's normalisation)."""
    kwargs.setdefault("label", _("Organisation (unified social credit code)"))
    return NaturalKeyField(
        queryset=Organisation.objects.none(), normalise=normalise_credit_code, **kwargs
    )


class ProjectForm(PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    organisation = organisation_field(
        label=_("Undertaking organisation (unified social credit code)")
    )

    class Meta:
        model = Project
        fields = [
            "channel",
            "name",
            "buyer",
            "organisation",
            "township",
            "year",
            "catalogue_item",
            "budget",
            "contract_amount",
            "signed_on",
            "personnel_share",
            "is_social_work",
            "starts_on",
            "ends_on",
        ]
        widgets = {"signed_on": DATE, "starts_on": DATE, "ends_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed as a credit code: a select of every legal organisation of the district would be
        # thousands of options on a page that should answer within 50 ms.
        organisations = Organisation.objects.visible_to(user).legal()
        self.fields["organisation"].queryset = organisations
        self.fields["township"].queryset = Township.objects.visible_to(user)
        self.fields["township"].required = False
        self.fields["township"].help_text = _("Leave empty for the organisation's township.")
        self.fields["catalogue_item"].queryset = CatalogueItem.objects.all()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class TransitionForm(PortalForm):
    note = forms.CharField(label=_("Reason or note"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), max_length=2000)  # fmt: skip
    on = forms.DateField(label=_("Finished on"), required=False, widget=DATE)


class PerformanceEvaluationForm(PortalModelForm):
    class Meta:
        model = PerformanceEvaluation
        fields = ["agency", "score", "evaluated_on", "report"]
        widgets = {"evaluated_on": DATE}

    def clean_evaluated_on(self):
        value = self.cleaned_data["evaluated_on"]
        if value > timezone.localdate() + datetime.timedelta(days=1):
            raise forms.ValidationError(_("The date is in the future."))
        return value

    def clean_report(self):
        report = self.cleaned_data.get("report")
        if report and getattr(report, "size", 0) > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The report may be at most 10 MB."))
        return report


class CatalogueItemForm(UniqueAtFieldMixin, VersionedFormMixin, PortalModelForm):
    unique_errors = {
        ("year", "code"): ("code", _("The catalogue of that year already has this code.")),
    }

    class Meta:
        model = CatalogueItem
        fields = ["year", "code", "name", "category", "department"]


class RecommendedEntryForm(UniqueAtFieldMixin, VersionedFormMixin, PortalModelForm):
    organisation = organisation_field()
    unique_errors = {
        ("organisation", "year"): (
            "organisation",
            _("This organisation is already on that year's recommended catalogue."),
        ),
    }

    class Meta:
        model = RecommendedEntry
        fields = ["year", "organisation", "services"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)


class AwardForm(UniqueAtFieldMixin, VersionedFormMixin, PortalModelForm):
    organisation = organisation_field()
    unique_errors = {
        ("year", "kind", "name"): ("name", _("A team of this name is already named that year.")),
    }

    class Meta:
        model = Award
        fields = ["kind", "name", "organisation", "named_on", "year"]
        widgets = {"named_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)
        self.fields["year"].required = False
        self.fields["year"].help_text = _("Leave empty for the year it was named.")

    def clean(self):
        cleaned = super().clean()
        # The year decides uniqueness; fill it before the model's checks run (_post_clean).
        if cleaned.get("named_on") and not cleaned.get("year"):
            cleaned["year"] = cleaned["named_on"].year
        return cleaned


class BrandForm(UniqueAtFieldMixin, VersionedFormMixin, PortalModelForm):
    organisation = organisation_field(required=False)
    project = NaturalKeyField(
        queryset=Project.objects.none(),
        key="code",
        label=_("Project (project number)"),
        required=False,
        error_messages={"not_found": _("No project you may see has this number.")},
    )
    unique_errors = {
        ("level", "name"): ("name", _("A brand of this name is already named at this level.")),
    }

    class Meta:
        model = Brand
        fields = ["name", "level", "township", "organisation", "project", "named_on"]
        widgets = {"named_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)
        self.fields["project"].queryset = Project.objects.visible_to(user)
        self.fields["township"].required = False
        self.fields["township"].help_text = _("Only for a township-level brand.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("level") == Brand.Level.DISTRICT:
            cleaned["township"] = None
        return cleaned
