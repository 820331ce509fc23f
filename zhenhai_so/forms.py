from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import User
from .roles import Role
from .validators import validate_plain_text

# A constant attribute, no user input: reviewed for bandit B308.
SELECTED = mark_safe(" selected")  # nosec B308  # noqa: S308


class FastSelect(forms.Select):
    """A Select rendered in Python instead of one template per option.

    Django renders each ``<option>`` through its own template, which costs about 0.3 ms an option;
    filter forms with a hundred villages took 40 ms to render. Same HTML, same attributes.
    """

    def render(self, name, value, attrs=None, renderer=None):
        """Every value and label goes through ``format_html`` (escaped); nothing is marked safe
        but the constant ``SELECTED``."""
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group_options, _index in context["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (
                        option["value"] if option["value"] is not None else "",
                        SELECTED if option["selected"] else "",
                        option["label"],
                    )
                    for option in group_options
                ),
            )
            if group_name:
                rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
            options.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            context["name"],
            flatatt(context["attrs"]),
            format_html_join("", "{}", ((part,) for part in options)),  # safe parts kept as is
        )


def bootstrapify(form) -> None:
    """Give every widget of a form Bootstrap 5's class for its kind (single selects also get the
    fast renderer)."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            widget.__class__ = FastSelect
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        elif isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            continue
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class CleanTextMixin:
    """Every text a form accepts is free of control, direction and zero-width characters; line
    breaks and tabs only in multi-line (``Textarea``) fields (docs/security.md, finding P2).

    Checked after the form's own cleaning, so fields a form adds in ``__init__`` are covered
    and a ``clean()`` that forgets ``super()`` cannot skip it."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not isinstance(value, str) or not value:
                continue
            try:
                validate_plain_text(value, multiline=isinstance(field.widget, forms.Textarea))
            except ValidationError as error:
                self.add_error(name, error)


class PortalForm(CleanTextMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class PortalModelForm(CleanTextMixin, forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def full_clean(self):
        """An edit of a stored record that carries a ``version`` field must send the version it
        was opened at: left out or blank, it is refused like a stale edit, never taken as "do
        not check" (docs/security.md, finding P8)."""
        super().full_clean()
        if (
            self.is_bound
            and "version" in self.fields
            and self.instance.pk is not None
            and hasattr(self, "cleaned_data")
            and "version" not in self.errors
            and self.cleaned_data.get("version") is None
        ):
            self.add_error(
                None,
                ValidationError(
                    _(
                        "This change does not say which version of the record it was made on, "
                        "so it was not saved. Open the record again and repeat the change."
                    ),
                    code="stale",
                ),
            )


class _RoleTownshipMixin:
    def clean(self):
        cleaned = super().clean()
        role, township = cleaned.get("role"), cleaned.get("township")
        if role == Role.TOWNSHIP_OFFICE and not township:
            self.add_error("township", _("A township office user needs a township."))
        if role and role != Role.TOWNSHIP_OFFICE and township:
            self.add_error("township", _("Only township office users belong to a township."))
        return cleaned


class UserCreateForm(_RoleTownshipMixin, PortalModelForm):
    """A new account is a request a security administrator approves (docs/security.md, finding
    P3); the approver receives its one-time password, so nobody chooses it here."""

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "township", "email", "phone"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("The login name %(name)s is taken (names are compared without case)."),
                params={"name": username},
                code="duplicate",
            )
        return username

    def validate_unique(self):
        # The case-insensitive check in clean_username gives the clearer message.
        exclude = self._get_validation_exclusions()
        exclude.add("username")
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as e:
            self._update_errors(e)


class UserUpdateForm(_RoleTownshipMixin, PortalModelForm):
    class Meta:
        model = User
        fields = ["full_name", "role", "township", "email", "phone", "is_active"]


class PortalPasswordChangeForm(PasswordChangeForm):
    """Django's form; the new password may not equal the old one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise forms.ValidationError(
                _("Choose a password different from the current one."), code="password_reused"
            )
        return password
