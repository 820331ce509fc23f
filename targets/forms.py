import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.filters import township_choices
from registry.models import Township
from zhenhai_so.forms import CleanTextMixin, PortalForm, PortalModelForm, bootstrapify

from .models import Milestone, QuarterlyIndicator


class ProgressFilterForm(PortalForm):
    """As-of date and township of the dashboard and target pages."""

    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    township = forms.ModelChoiceField(
        label=_("Township"), queryset=None, required=False, empty_label=_("Whole district")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        township = self.fields["township"]
        township.queryset = Township.objects.visible_to(user)
        # Shown from cached (id, name) rows; the queryset still validates what is sent.
        township.widget.choices = [("", township.empty_label), *township_choices(user)]
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be later than today."))
        return as_of


def _field_for(indicator: QuarterlyIndicator, label: str) -> forms.Field:
    kind = QuarterlyIndicator.Kind
    if indicator.kind == kind.BOOL:
        return forms.TypedChoiceField(
            label=label,
            choices=[("", "—"), ("1", _("yes")), ("0", _("no"))],
            required=False,
        )
    if indicator.kind == kind.INT:
        return forms.IntegerField(label=label, min_value=0, required=False)
    if indicator.kind == kind.DECIMAL:
        return forms.DecimalField(
            label=label, min_value=0, max_digits=14, decimal_places=2, required=False
        )
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuarterlyReportForm(CleanTextMixin, forms.Form):
    """The quarterly form, built from the plan's indicator rows: township-wide figures (each with an
    optional comment) and, for per-community indicators, one field per village / community.

    Field names: ``v__<code>`` and ``c__<code>`` (township-wide), ``v__<code>__<community id>``."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    narrative = forms.CharField(
        label=_("Problems and next steps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, report, indicators, communities, **kwargs):
        initial = {"version": report.version, "narrative": report.narrative}
        for v in report.values.all():
            code = v.indicator.code
            if v.community_id:
                initial[f"v__{code}__{v.community_id}"] = v.value
            else:
                initial[f"v__{code}"] = v.value
                initial[f"c__{code}"] = v.comment
        super().__init__(*args, initial=initial, **kwargs)
        self.report = report
        self.township_indicators = [i for i in indicators if not i.per_community]
        self.community_indicators = [i for i in indicators if i.per_community]
        self.communities = communities
        for indicator in self.township_indicators:
            self.fields[f"v__{indicator.code}"] = _field_for(indicator, indicator.label)
            if indicator.kind != QuarterlyIndicator.Kind.TEXT:
                self.fields[f"c__{indicator.code}"] = forms.CharField(
                    label=_("Comment"), required=False, max_length=1000
                )
        for indicator in self.community_indicators:
            for community in communities:
                self.fields[f"v__{indicator.code}__{community.pk}"] = _field_for(
                    indicator, f"{community.name}: {indicator.label}"
                )
        bootstrapify(self)

    def township_rows(self):
        """(indicator, value field, comment field or None) for the template."""
        for indicator in self.township_indicators:
            comment = (
                self[f"c__{indicator.code}"] if f"c__{indicator.code}" in self.fields else None
            )
            yield indicator, self[f"v__{indicator.code}"], comment

    def community_rows(self):
        """(community, [field per per-community indicator]) for the template."""
        for community in self.communities:
            yield (
                community,
                [self[f"v__{i.code}__{community.pk}"] for i in self.community_indicators],
            )

    def values(self) -> dict:
        """The entered figures in the shape ``quarterly_report_save_draft`` takes."""
        data = self.cleaned_data
        values = {}
        for indicator in self.township_indicators:
            values[(indicator.code, None)] = {
                "value": data.get(f"v__{indicator.code}"),
                "comment": data.get(f"c__{indicator.code}", ""),
            }
        for indicator in self.community_indicators:
            for community in self.communities:
                values[(indicator.code, community.pk)] = {
                    "value": data.get(f"v__{indicator.code}__{community.pk}")
                }
        return values


class ReviewForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for returning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class MilestoneForm(PortalModelForm):
    evidence_link = forms.URLField(
        label=_("Evidence link"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Milestone
        fields = ["completed_on", "evidence_file", "evidence_link", "note"]
        widgets = {"completed_on": forms.DateInput(attrs={"type": "date"})}

    def clean_completed_on(self):
        day = self.cleaned_data.get("completed_on")
        if day and day > datetime.date.today():
            raise forms.ValidationError(_("A milestone cannot be completed in the future."))
        return day
