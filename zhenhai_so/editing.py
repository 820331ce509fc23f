"""Pages that create or change one record: the pieces the apps' simple record forms share.

- ``save_record`` (services): create, or lock the row, refuse a stale version, apply the fields,
  ``full_clean()`` and save with version + 1 (DESIGN.md: concurrent edits of the same record do
  not silently overwrite each other). The audit entry comes from django-auditlog's signals.
- ``record_page`` (views): load-and-check is the caller's; bind → call the service → message →
  redirect, a service's refusal shown at the field it names, a stale edit answered with the
  stored values.
- ``RecordPages`` (views, urls): the create/edit/delete pages of a simple record type on
  ``record_form.html`` and ``record_delete.html``, declared once per type.
- ``VersionedFormMixin``, ``UniqueAtFieldMixin``, ``NaturalKeyField`` (forms).
"""

from collections.abc import Callable, Iterable
from operator import attrgetter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

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


class RecordPages:
    """The create, edit and delete pages of a simple record type, declared once.

    Per record type the app states what differs; the three views below do the rest:

    - permission: ``<app_label>.add_<model_name>`` for ``create``, ``change_`` for ``edit``,
      ``delete_`` for ``delete`` (403 without it, checked before anything is loaded); GET and POST;
    - scoping: ``records(user)``, the records the user may open (any other pk is a 404);
    - services: on a create ``save(data=...)``, on an edit ``save(<record_arg>=record, data=...,
      expected_version=...)``; where an app has two services, ``create`` and ``update`` with those
      signatures instead; ``delete(<record_arg>=record)``, and no delete page without it;
    - titles: ``create_title``, "Edit <label>" and "Delete <label>" (``label``: the name);
    - where they lead: ``back`` is the (url, label) of the page they return to, or a function of
      the record giving it (called with None on a create: lazy strings at module level); a record
      with a ``detail`` page (a function of the record giving its (url, label)) is edited from it
      and shown there once saved; a deleted one goes ``back``.

    URLs (``urls``): ``<prefix>new/``, ``<prefix><int:pk>/edit/``, ``<prefix><int:pk>/delete/``,
    named ``<name>_create``, ``<name>_edit``, ``<name>_delete`` in the app's namespace (its
    app_label)."""

    def __init__(
        self,
        *,
        model,
        form_class,
        records: Callable[[object], object],
        name: str,
        record_arg: str,
        create_title: str,
        back: tuple[str, str] | Callable[[object | None], tuple[str, str]],
        save: Callable | None = None,
        create: Callable | None = None,
        update: Callable | None = None,
        delete: Callable | None = None,
        detail: Callable[[object], tuple[str, str]] | None = None,
        new: Callable[[object], object] | None = None,
        label: Callable[[object], str] = attrgetter("name"),
        form_takes_user: bool = True,
    ):
        opts = model._meta
        self.app_label, self.name, self.record_arg = opts.app_label, name, record_arg
        self.form_class, self.records, self.label = form_class, records, label
        self.create_title, self.form_takes_user = create_title, form_takes_user
        self.back = back if callable(back) else (lambda record: back)
        self.detail = detail
        self.new = new or (lambda request: model())
        self.save_new, self.save_changed = create or save, update or save
        self.delete_record = delete
        self.permissions = {
            verb: f"{opts.app_label}.{verb}_{opts.model_name}"
            for verb in ("add", "change", "delete")
        }
        self.create = self._view("add", self._create_page)
        self.edit = self._view("change", self._edit_page)
        self.delete = self._view("delete", self._delete_page) if delete else None

    def urls(self, prefix: str) -> list:
        patterns = [
            path(f"{prefix}new/", self.create, name=f"{self.name}_create"),
            path(f"{prefix}<int:pk>/edit/", self.edit, name=f"{self.name}_edit"),
        ]
        if self.delete:
            patterns.append(
                path(f"{prefix}<int:pk>/delete/", self.delete, name=f"{self.name}_delete")
            )
        return patterns

    def _view(self, verb: str, page):
        view = require_http_methods(["GET", "POST"])(page)
        return permission_required(self.permissions[verb], raise_exception=True)(view)

    def _success(self, saved) -> str:
        return (self.detail or self.back)(saved)[0]

    def _form_page(self, request, record, *, save, title, back, delete_url=None):
        kwargs = {"user": request.user} if self.form_takes_user else {}
        return record_page(
            request,
            form=self.form_class(request.POST or None, instance=record, **kwargs),
            save=save,
            success=self._success,
            refresh=lambda current: self.form_class(instance=current, **kwargs),
            context={
                "title": title,
                "back_url": back[0],
                "back_label": back[1],
                "delete_url": delete_url,
            },
        )

    def _create_page(self, request):
        return self._form_page(
            request,
            self.new(request),
            save=lambda data, _version: self.save_new(data=data),
            title=self.create_title,
            back=self.back(None),
        )

    def _edit_page(self, request, pk):
        record = get_object_or_404(self.records(request.user), pk=pk)
        delete_url = f"{self.app_label}:{self.name}_delete"
        return self._form_page(
            request,
            record,
            save=lambda data, version: self.save_changed(
                **{self.record_arg: record}, data=data, expected_version=version
            ),
            title=_("Edit %(name)s") % {"name": self.label(record)},
            back=(self.detail or self.back)(record),
            delete_url=reverse(delete_url, args=[record.pk]) if self.delete else None,
        )

    def _delete_page(self, request, pk):
        record = get_object_or_404(self.records(request.user), pk=pk)
        back = self.back(record)
        return record_delete_page(
            request,
            record=record,
            delete=lambda: self.delete_record(**{self.record_arg: record}),
            success_url=back[0],
            context={
                "title": _("Delete %(name)s") % {"name": self.label(record)},
                "back_url": back[0],
                "back_label": back[1],
            },
        )
