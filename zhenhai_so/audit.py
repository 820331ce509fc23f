"""Audit entries for records written in bulk.

django-auditlog writes an entry on each ``save()`` and ``delete()`` through signals; bulk writes
(``bulk_create``, ``bulk_update``, ``COPY``) send none, so the code that writes in bulk adds the
entries itself, one per record as the signals would have: ``{field: [old, new]}`` strings, who
and from where. Who and where come from the request's auditlog context (set by
``auditlog.middleware.AuditlogMiddleware``) unless the caller names them (a background import
names the user who started it).
"""

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.encoding import smart_str

from .bulk import bulk_insert

Action = LogEntry.Action
_UNSET = object()


class Ref(NamedTuple):
    """A record named without loading it: its model, primary key and text (what ``str()`` of
    the instance would say). Building 5,000 model instances of a wide model only to name them
    in the log took longer than writing the entries."""

    model: type
    pk: object
    text: str


def as_text(value) -> str:
    """A value as auditlog stores it in ``changes`` ("None" for nothing)."""
    return smart_str(value)


def entries(
    changes: Iterable[tuple[object, Mapping[str, tuple[object, object]]]],
    action: int,
    *,
    actor=_UNSET,
    remote_addr=_UNSET,
) -> list[LogEntry]:
    """One unsaved entry per (record, {field: (old, new)}), all at the same moment; a record is
    a model instance or a :class:`Ref`."""
    from_context = actor is _UNSET and remote_addr is _UNSET
    actor_id = None if actor is _UNSET else getattr(actor, "pk", None)
    remote_addr = None if remote_addr is _UNSET else remote_addr
    now = timezone.now()
    content_types = {}
    result = []
    for record, fields in changes:
        model, text = (
            (record.model, record.text) if isinstance(record, Ref) else (type(record), str(record))
        )
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        result.append(
            LogEntry(
                content_type=content_types[model],
                object_pk=str(record.pk),
                object_id=record.pk,
                object_repr=text[:1000],
                action=action,
                changes={name: [as_text(old), as_text(new)] for name, (old, new) in fields.items()},
                actor_id=actor_id,
                remote_addr=remote_addr,
                timestamp=now,
            )
        )
    if from_context:  # what a save() would have filled in: the request's user and address
        for entry in result:
            pre_save.send(
                sender=LogEntry, instance=entry, raw=False, using=None, update_fields=None
            )
    return result


def log(changes, action: int, **who) -> list[LogEntry]:
    """Write the entries of :func:`entries` (by ``COPY`` on PostgreSQL when there are many)."""
    return bulk_insert(LogEntry, entries(changes, action, **who))
