import re

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation, Township
from registry.validators import normalise_credit_code
from zhenhai_so.editing import NaturalKeyField, UniqueAtFieldMixin, VersionedFormMixin
from zhenhai_so.forms import PortalForm, PortalModelForm

from .models import (
    DemonstrationSite,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_SEPARATORS = re.compile(r"[；;，,、\s]+")


def organisation_field(**kwargs) -> NaturalKeyField:
    """An organisation typed as its unified social credit code (contract 2's normalisation)."""
    kwargs.setdefault("label", _("Organisation (unified social credit code)"))
    return NaturalKeyField(
        queryset=Organisation.objects.none(), normalise=normalise_credit_code, **kwargs
    )


class _ScopedForm(VersionedFormMixin, PortalModelForm):
    """Township choices and organisations limited to what the user may see (SECURITY.md item 9);
    the version the user opened."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "township" in self.fields:
            self.fields["township"].queryset = Township.objects.visible_to(user)
        if isinstance(self.fields.get("organisation"), NaturalKeyField):
            self.fields["organisation"].queryset = Organisation.objects.visible_to(user)


class PartyOrganisationForm(_ScopedForm):
    organisations = forms.CharField(
        label=_("Organisations covered (unified social credit codes)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One code per line, or separated by ；or ,. All in the township chosen above."),
    )

    class Meta:
        model = PartyOrganisation
        fields = ["name", "kind", "township", "established_on", "dissolved_on", "secretary"]
        widgets = {"established_on": DATE, "dissolved_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["organisations"] = "\n".join(
                sorted(o.credit_code for o in self.instance.organisations.all())
            )

    def clean_organisations(self):
        """The codes as organisations the user may see, in the order given, each once; every
        unknown code is named."""
        codes = []
        for text in _SEPARATORS.split(self.cleaned_data["organisations"]):
            code = normalise_credit_code(text)
            if code and code not in codes:
                codes.append(code)
        found = {
            o.credit_code: o
            for o in Organisation.objects.visible_to(self.user).filter(credit_code__in=codes)
        }
        missing = [code for code in codes if code not in found]
        if missing:
            raise forms.ValidationError(
                _("No organisation you may see has the credit code %(codes)s.")
                % {"codes": "、".join(missing)}
            )
        return [found[code] for code in codes]


class InstructorAssignForm(PortalForm):
    instructor = forms.CharField(label=_("Instructor"), max_length=50)
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DATE)


class InstructorEndForm(PortalForm):
    ends_on = forms.DateField(label=_("Until"), widget=DATE)


class DemonstrationSiteForm(UniqueAtFieldMixin, _ScopedForm):
    organisation = organisation_field()
    unique_errors = {
        ("organisation", "year"): (
            "organisation",
            _("This organisation is already a demonstration site that year."),
        ),
    }

    class Meta:
        model = DemonstrationSite
        fields = ["name", "organisation", "named_on", "year"]
        widgets = {"named_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].required = False
        self.fields["year"].help_text = _("Leave empty for the year it was named.")

    def clean(self):
        cleaned = super().clean()
        # The year decides uniqueness; fill it before the model's checks run (_post_clean).
        if cleaned.get("named_on") and not cleaned.get("year"):
            cleaned["year"] = cleaned["named_on"].year
        return cleaned


class _LevelForm(_ScopedForm):
    """A district record belongs to no township: the township chosen is dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("level") == "district":
            cleaned["township"] = None
        return cleaned


class PartyServiceCentreForm(_LevelForm):
    class Meta:
        model = PartyServiceCentre
        fields = ["name", "level", "township", "state", "opened_on"]
        widgets = {"opened_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].help_text = _("Only for a township centre.")


class TrainingForm(_LevelForm):
    class Meta:
        model = Training
        fields = ["title", "kind", "level", "township", "held_on", "organiser", "attendees"]
        widgets = {"held_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].help_text = _("Only for a township training.")


class EnrolmentForm(PortalModelForm):
    organisation = organisation_field()

    class Meta:
        model = TrainingEnrolment
        fields = ["organisation", "person"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)
