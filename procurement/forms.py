import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Organisation, Township
from zhenhai_so.forms import PortalForm, PortalModelForm

from .models import CatalogueItem, PerformanceEvaluation, Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
        organisations = Organisation.objects.visible_to(user).legal().only("id", "name")
        townships = Township.objects.all()
        if user.scope_township_id is not None:
            townships = townships.filter(pk=user.scope_township_id)
        self.fields["organisation"].queryset = organisations
        self.fields["township"].queryset = townships
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
