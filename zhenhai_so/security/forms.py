from django import forms
from django.utils.translation import gettext_lazy as _

from zhenhai_so.forms import PortalForm


class TokenForm(PortalForm):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The six digits your authenticator app shows, or one recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
