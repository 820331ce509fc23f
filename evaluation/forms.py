from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.validators import normalise_credit_code
from zhenhai_so.forms import PortalForm

from .models import IndicatorSystem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EvaluationCreateForm(PortalForm):
    """Choose the organisation (by credit code, which scales to any register size), the version
    of the indicator system, the agency and the date."""

    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=30)
    system = forms.ModelChoiceField(
        label=_("Indicator system"), queryset=IndicatorSystem.objects.all()
    )
    agency = forms.CharField(label=_("Evaluation agency"), max_length=100)
    evaluated_on = forms.DateField(
        label=_("Evaluation date"), widget=DATE, initial=timezone.localdate
    )
    year = forms.IntegerField(
        label=_("Evaluation year"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("Leave empty for the year of the evaluation date."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = organisations

    def clean_credit_code(self):
        code = normalise_credit_code(self.cleaned_data["credit_code"])
        organisation = self.organisations.filter(credit_code=code).first()
        if organisation is None:
            raise forms.ValidationError(
                _("No registered organisation you may see has this credit code."), code="unknown"
            )
        self.cleaned_data["organisation"] = organisation
        return code


def score_field_name(item) -> str:
    return f"item_{item.pk}"


class ScoreForm(PortalForm):
    """One field per item of the evaluation's system, bounded by the item's maximum; the browser
    shows the bounds (``min``/``max``) and the server refuses what is outside them."""

    def __init__(self, *args, items, scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            maximum = item.max_points.normalize()
            field = forms.DecimalField(
                label=f"{item.code} {item.name}",
                required=False,
                min_value=Decimal(0),
                max_value=item.max_points,
                max_digits=5,
                decimal_places=1,
                initial=scores.get(item.pk),
                error_messages={
                    "min_value": _("A score cannot be below zero."),
                    "max_value": _("At most %(max)s points for item %(code)s.")
                    % {"max": maximum, "code": item.code},
                    "invalid": _("Enter a number."),
                },
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.5",
                        "min": "0",
                        "max": str(maximum),
                        "class": "form-control form-control-sm num js-score",
                        "data-category": item.category_id,
                        "data-max": str(maximum),
                    }
                ),
            )
            self.fields[score_field_name(item)] = field

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            value = cleaned.get(score_field_name(item))
            if value is not None and value * 2 != (value * 2).to_integral_value():
                self.add_error(
                    score_field_name(item), _("Scores are given in whole or half points.")
                )
        return cleaned

    def points(self) -> dict:
        """Item id → points (None for an empty field) for ``evaluation_save_scores``."""
        return {item.pk: self.cleaned_data.get(score_field_name(item)) for item in self.items}

    def rows(self):
        """(item, bound field) pairs for the template, in item order."""
        return [(item, self[score_field_name(item)]) for item in self.items]


class NoteForm(PortalForm):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConfirmForm(NoteForm):
    confirmed_on = forms.DateField(
        label=_("Confirmed by the committee on"), widget=DATE, initial=timezone.localdate
    )


class NoticeForm(NoteForm):
    starts_on = forms.DateField(label=_("Public notice from"), widget=DATE)
    ends_on = forms.DateField(label=_("Public notice until"), widget=DATE)


class PublishForm(NoteForm):
    published_on = forms.DateField(label=_("Published on"), widget=DATE)


class ReviewRequestForm(PortalForm):
    requested_on = forms.DateField(label=_("Requested on"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason given by the organisation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewDecideForm(PortalForm):
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    note = forms.CharField(
        label=_("Committee's reasoning"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
