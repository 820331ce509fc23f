"""Field values in words, as a page shows them: a field's verbose name, a choice's label, 是/否
for booleans, 空 for nothing, a related record's name. Used where values arrive without their
form: an import's preview (old → new) and the change history (auditlog's stored strings)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _


def get_field(model: type[models.Model], name: str) -> models.Field | None:
    """The model's field called ``name`` or whose attribute is ``name`` (``township_id``)."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for field in model._meta.concrete_fields:
            if field.attname == name:
                return field
    return None


def field_label(model: type[models.Model], name: str) -> str:
    field = get_field(model, name)
    if field is None or not hasattr(field, "verbose_name"):
        return name
    # A field declared without a verbose name gets its name with spaces ("listed by"), which
    # gettext can still translate when the catalogue has it.
    return capfirst(_(str(field.verbose_name)))


def empty_text() -> str:
    return _("(empty)")


def value_text(field: models.Field | None, value, related: dict | None = None) -> str:
    """``value`` of ``field`` in words; ``related`` maps a foreign key's id to its record."""
    if value is None or value == "" or (isinstance(value, set | frozenset | list) and not value):
        return empty_text()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if field is not None and field.is_relation and related is not None:
        record = related.get(value) or related.get(str(value))
        if record is not None:
            return str(record)
    if isinstance(value, set | frozenset | list | tuple):
        return "、".join(sorted(value_text(field, v, related) for v in value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def stored_text(field: models.Field | None, text, related: dict | None = None) -> str:
    """A value as django-auditlog stores it (a string: "None", "True", "qualified", an id) in
    words."""
    if text is None or text in ("None", ""):
        return empty_text()
    if isinstance(field, models.BooleanField) and text in ("True", "False"):
        return _("Yes") if text == "True" else _("No")
    return value_text(field, text, related)


def related_records(model: type[models.Model], pairs: Iterable[tuple[str, object]]) -> dict:
    """{field name: {id: record}} for the foreign keys among ``pairs`` (field name, value):
    one query per related model, so a list of changes costs the same whatever its length."""
    wanted: dict[str, set] = {}
    for name, value in pairs:
        field = get_field(model, name)
        if field is not None and field.many_to_one and value not in (None, "", "None"):
            try:
                wanted.setdefault(field.name, set()).add(int(value))
            except (TypeError, ValueError):
                continue
    found = {}
    for name, ids in wanted.items():
        records = model._meta.get_field(name).related_model._base_manager.in_bulk(ids)
        found[name] = records | {str(k): v for k, v in records.items()}
    return found


# A stored value that is itself an identifier (a check's or a metric's name): shown as code.
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def is_code(field: models.Field) -> bool:
    """A field whose values are identifiers or structured data, shown as code, not words."""
    return isinstance(field, models.JSONField | models.SlugField) or field.name in ("code", "key")


def action_text(action: int) -> str:
    """An audit entry's action in words (django-auditlog's own labels are not translated)."""
    from auditlog.models import LogEntry

    return {
        LogEntry.Action.CREATE: _("Created"),
        LogEntry.Action.UPDATE: _("Changed"),
        LogEntry.Action.DELETE: _("Deleted"),
    }.get(action, _("Viewed"))


def change_rows(entries) -> list[dict]:
    """Audit entries as a change history shows them: the record type, the action in words and
    each changed field as (verbose name, old, new, is_code) in words; the primary key and reverse
    relations (which django-auditlog lists on a create) are left out. One query per related
    model for the foreign keys named, whatever the number of entries."""
    entries = list(entries)
    pairs_by_model: dict[type, list] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        if model is not None:
            pairs = pairs_by_model.setdefault(model, [])
            pairs += [(n, v) for n, change in entry.changes_dict.items() for v in change]
    related = {model: related_records(model, pairs) for model, pairs in pairs_by_model.items()}
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        changes = []
        for name, (old, new) in entry.changes_dict.items() if model is not None else ():
            field = get_field(model, name)
            if field is None or not getattr(field, "concrete", False) or field.primary_key:
                continue
            on = related[model].get(field.name)
            changes.append(
                (
                    field_label(model, name),
                    stored_text(field, old, on),
                    stored_text(field, new, on),
                    is_code(field) or any(_SNAKE.match(str(v)) for v in (old, new)),
                )
            )
        rows.append({"entry": entry, "action": action_text(entry.action), "changes": changes})
    return rows
