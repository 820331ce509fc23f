import django_filters

from .forms import bootstrapify


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet whose form is styled like every other form of the portal."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_bootstrapped", False):
            bootstrapify(form)
            for field in form.fields.values():
                field.widget.attrs["class"] += (
                    " form-control-sm"
                    if "form-control" in field.widget.attrs["class"]
                    else " form-select-sm"
                )
            form._bootstrapped = True
        return form
