import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from .forms import bootstrapify

# A yes/no filter left open matches everything: "All", not "Unknown".
BOOLEAN_CHOICES = {
    BooleanWidget: (("", _("All")), ("true", _("Yes")), ("false", _("No"))),
    forms.NullBooleanSelect: (("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))),
}


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet whose form is styled like every other form of the portal."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_bootstrapped", False):
            bootstrapify(form)
            for field in form.fields.values():
                if type(field.widget) in BOOLEAN_CHOICES:
                    field.widget.choices = BOOLEAN_CHOICES[type(field.widget)]
                field.widget.attrs["class"] += (
                    " form-control-sm"
                    if "form-control" in field.widget.attrs["class"]
                    else " form-select-sm"
                )
            form._bootstrapped = True
        return form
