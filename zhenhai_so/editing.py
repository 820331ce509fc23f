"""Pages that create or change one record: the pieces the apps' simple record forms share.

- ``save_record`` (services): create, or lock the row, refuse a stale version, apply the fields,
  ``full_clean()`` and save with version + 1 (DESIGN.md: concurrent edits of the same record do
  not silently overwrite each other). The audit entry comes from django-auditlog's signals.
- ``record_page`` (views): load-and-check is the caller's; bind → call the service → message →
  redirect, a service's refusal shown at the field it names, a stale edit answered with the
  stored values.
- ``VersionedFormMixin``, ``UniqueAtFieldMixin``, ``NaturalKeyField`` (forms).
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# ---------------------------------------------------------------------------------------------
# Services


class StaleEdit(ValidationError):
    """The record changed since the user opened it; ``current`` is what is stored now and
    ``fields`` the fields where it differs from what the user submitted."""

    def __init__(self, message=None, *, current=None, fields: Iterable[str] = ()):
        super().__init__(
            message or gettext_lazy("Someone else saved this record after you opened it."),
            code="stale",
        )
        self.current = current
        self.fields = list(fields)


def check_version(current, expected_version: int | None, data: dict | None = None) -> None:
    """Refuse a change based on an outdated version of ``current`` (a row locked by the caller);
    otherwise count the version up."""
    if expected_version is not None and current.version != expected_version:
        differing = [k for k, v in (data or {}).items() if getattr(current, k, v) != v]
        raise StaleEdit(current=current, fields=differing)
    current.version += 1


def save_record(instance, *, data: dict, fields: Iterable[str], expected_version=None):
    """Create ``instance`` (no pk yet) or change the stored row: locked, its version checked and
    counted up. Only ``fields`` are taken from ``data``; validates before saving. The caller
    holds the transaction (services are ``@transaction.atomic``)."""
    fields = [name for name in fields if name in data]
    if instance.pk is not None:
        instance = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        check_version(instance, expected_version, {name: data[name] for name in fields})
    for name in fields:
        setattr(instance, name, data[name])
    instance.full_clean()
    instance.save()
    return instance


# ---------------------------------------------------------------------------------------------
# Forms


class VersionedFormMixin:
    """A hidden ``version`` field carrying the version the user opened."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class UniqueAtFieldMixin:
    """Shows the refusal of a unique constraint over several columns next to the field the user
    would change, with our own message, instead of Django's generic one above the form.

    ``unique_errors`` maps the constraint's fields (as declared) to (form field, message)."""

    unique_errors: dict[tuple[str, ...], tuple[str, str]] = {}

    def _post_clean(self):
        super()._post_clean()
        top = self._errors.get(NON_FIELD_ERRORS) if self._errors else None
        if not top:
            return
        kept, moved = [], []
        for error in top.as_data():
            check = tuple((error.params or {}).get("unique_check", ()))
            if error.code == "unique_together" and check in self.unique_errors:
                moved.append(self.unique_errors[check])
            else:
                kept.append(error)
        if not moved:
            return
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(kept, error_class="nonfield")
        else:
            del self._errors[NON_FIELD_ERRORS]
        for field, message in moved:
            self.add_error(field, ValidationError(message, code="unique"))


class NaturalKeyField(forms.CharField):
    """A record typed by its natural key (an organisation by its unified social credit code: a
    select of every organisation in the district would be thousands of options), looked up among
    ``queryset`` (the records the user may see), after ``normalise``."""

    default_error_messages = {
        "not_found": gettext_lazy("No organisation you may see has this credit code."),
    }

    def __init__(self, *, queryset=None, key: str = "credit_code", normalise=None, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.queryset = queryset
        self.key = key
        self.normalise = normalise or (lambda text: text.strip())

    def prepare_value(self, value):
        if hasattr(value, "_meta"):
            return getattr(value, self.key)
        if isinstance(value, int) and self.queryset is not None:
            model = self.queryset.model
            return model._default_manager.filter(pk=value).values_list(self.key, flat=True).first()
        return value

    def clean(self, value):
        text = self.normalise(super().clean(value) or "")
        if not text:
            return None
        found = self.queryset.filter(**{self.key: text}).first()
        if found is None:
            raise ValidationError(self.error_messages["not_found"], code="not_found")
        return found


# ---------------------------------------------------------------------------------------------
# Views


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it names (or above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def stale_message(error: StaleEdit) -> str:
    model = type(error.current)
    names = []
    for name in error.fields:
        try:
            names.append(str(model._meta.get_field(name).verbose_name))
        except Exception:  # noqa: BLE001 - a form-only name: shown as it is
            names.append(name)
    return _(
        "Someone else saved this record after you opened it; nothing was saved. "
        "Fields that now differ from yours: %(fields)s. "
        "The form shows the stored values; enter your changes again."
    ) % {"fields": "、".join(names) or _("none")}


def record_page(
    request,
    *,
    form,
    save: Callable[[dict, int | None], object],
    success: Callable[[object], str],
    refresh: Callable[[object], object] | None = None,
    template: str = "record_form.html",
    context: dict | None = None,
    saved_message: str | None = None,
):
    """The create/edit page of a record. On a valid POST it calls ``save(data, version)``: the
    cleaned data without the version, and the version the user opened (None on a create). A
    ``ValidationError`` from the service goes to its field; a ``StaleEdit`` is answered with
    ``refresh(current)``, the form on the stored record, and a message naming what differs.
    Nothing is saved unless the service succeeds (it is atomic)."""
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            record = save(data, form.cleaned_data.get("version"))
        except StaleEdit as error:
            messages.error(request, stale_message(error))
            if refresh is not None and error.current is not None:
                form = refresh(error.current)
            else:
                form.add_error(None, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, saved_message or _("Saved."))
            return redirect(success(record))
    return render(request, template, {"form": form, **(context or {})})


def record_delete_page(
    request, *, record, delete: Callable[[], None], success_url: str, context: dict
):
    """Ask, then delete through the service (which may refuse with a ``ValidationError``, shown
    as a message). The audit log keeps the deleted record's values."""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(context["back_url"])
        messages.success(request, _("Deleted."))
        return redirect(success_url)
    return render(request, "record_delete.html", {"record": record, **context})


def model_form_page(
    request,
    *,
    form_class,
    instance,
    save: Callable[[dict, int | None], object],
    success: Callable[[object], str],
    title: str,
    back: tuple[str, str],
    delete_url: str | None = None,
    form_kwargs: dict | None = None,
):
    """``record_page`` for a model form on ``record_form.html``: ``back`` is (url, label) of
    the page the form belongs to; ``form_kwargs`` go to the form class (e.g. the user)."""
    form_kwargs = form_kwargs or {}
    return record_page(
        request,
        form=form_class(request.POST or None, instance=instance, **form_kwargs),
        save=save,
        success=success,
        refresh=lambda current: form_class(instance=current, **form_kwargs),
        context={
            "title": title,
            "back_url": back[0],
            "back_label": back[1],
            "delete_url": delete_url,
        },
    )


def confirm_delete_page(
    request, *, record, delete: Callable[[], None], title: str, back: tuple[str, str]
):
    """``record_delete_page`` that returns to ``back`` (url, label) afterwards."""
    return record_delete_page(
        request,
        record=record,
        delete=delete,
        success_url=back[0],
        context={"title": title, "back_url": back[0], "back_label": back[1]},
    )
