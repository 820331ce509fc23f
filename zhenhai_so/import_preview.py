"""What an import's preview shows per row, before anything is saved: new, changed (each changed
column, old → new, in words), unchanged or invalid (with its errors). Built from the
:class:`~zhenhai_so.importing.ImportPlan` that validation made and stored with the job as
``ImportPreviewRow`` rows, so the job page can filter and page through a large file checked in
the background (docs/development.md, "Excel imports and exports")."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from .display import get_field, related_records, value_text
from .models import ImportJob, ImportPreviewRow

BATCH = 2000


def _column_headers(kind) -> dict[str, str]:
    """Model attribute or column field → the sheet's header."""
    headers = {}
    for column in kind.columns:
        headers[column.field] = column.header
        headers[kind.attname(column.field)] = column.header
    return headers


def preview_rows(plan) -> list[ImportPreviewRow]:
    """One unsaved preview row per data row of the validated file, in sheet order."""
    kind = plan.kind
    model = kind.model
    headers = _column_headers(kind)
    labels = plan.labels
    pairs = [
        (name, value)
        for planned in plan.updated
        for name, change in planned.changes.items()
        for value in change
    ]
    related = related_records(model, pairs)
    rows = [
        ImportPreviewRow(row=p.row, state=ImportPreviewRow.State.NEW, label=labels.get(p.row, ""))
        for p in plan.new
    ]
    for planned in plan.updated:
        details = []
        for name, (old, new) in planned.changes.items():
            field = get_field(model, name)
            on = related.get(field.name) if field is not None else None
            details.append(
                [headers.get(name, name), value_text(field, old, on), value_text(field, new, on)]
            )
        rows.append(
            ImportPreviewRow(
                row=planned.row,
                state=ImportPreviewRow.State.CHANGED,
                label=labels.get(planned.row, ""),
                details=details,
            )
        )
    rows += [
        ImportPreviewRow(row=n, state=ImportPreviewRow.State.UNCHANGED, label=labels.get(n, ""))
        for n in plan.unchanged_rows
    ]
    errors = defaultdict(list)
    for error in plan.errors:
        errors[error.row].append([error.column, error.reason])
    rows += [
        ImportPreviewRow(
            row=n, state=ImportPreviewRow.State.INVALID, label=labels.get(n, ""), details=found
        )
        for n, found in errors.items()
    ]
    for row in rows:
        row.label = row.label[:200]
    rows.sort(key=lambda r: r.row)
    return rows


@transaction.atomic
def store_preview(*, job: ImportJob, plan) -> None:
    """Replace the job's stored preview with the plan's rows and read-only columns (the
    caller saves ``job``)."""
    job.ignored_columns = list(plan.ignored_columns)
    ImportPreviewRow.objects.filter(job=job).delete()
    rows = preview_rows(plan)
    for row in rows:
        row.job = job
    ImportPreviewRow.objects.bulk_create(rows, batch_size=BATCH)


def clear_preview(*, job: ImportJob) -> None:
    """A file that could not be checked has no rows to show."""
    job.ignored_columns = []
    ImportPreviewRow.objects.filter(job=job).delete()
