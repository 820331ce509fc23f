"""Inserting many rows at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` on PostgreSQL sends each batch as arrays quoted in Python (psycopg's client-side
binding), which took a third of an import of 10,000 organisations; ``COPY ... FROM STDIN`` streams
the rows through psycopg's C dumpers instead. The rows get their primary keys from the table's
own sequence first, so the objects come back with ``pk`` set, as ``bulk_create`` leaves them.

What ``bulk_create`` does and ``bulk_insert`` keeps: fields' ``pre_save`` (``auto_now_add``
timestamps), their database preparation (``get_db_prep_save``), a queryset's own preparation
of the objects (``before_bulk_create``, e.g. the organisation's stored credit-code flag), no
signals. The statement goes through the connection's execute wrappers, so whatever watches
writes (``zhenhai_so.dataversion``) sees it.
"""

from collections.abc import Iterable, Sequence

from django.db import connections, router

# Below this many rows the difference does not matter; bulk_create keeps the simple path.
COPY_MIN_ROWS = 500


def bulk_insert(model, objs: Iterable, *, batch_size: int | None = None) -> list:
    """Insert the new ``objs`` of ``model`` (no pk yet) and return them with their pks."""
    objs = list(objs)
    manager = model._default_manager
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        return manager.db_manager(alias).bulk_create(objs, batch_size=batch_size)
    queryset = manager.db_manager(alias).get_queryset()
    if hasattr(queryset, "before_bulk_create"):
        queryset.before_bulk_create(objs)
    opts = model._meta
    pk = opts.pk
    fields = opts.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk_value
        rows = (
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            for obj in objs
        )
        _copy(cursor, opts.db_table, [field.column for field in fields], rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def insert_values(model, attnames: Sequence[str], rows: Iterable[Sequence], *, batch_size=None):
    """Insert plain rows of ``model`` given as tuples of already valid database values for the
    columns ``attnames`` (e.g. ``("evaluation_id", "item_id", "points")``), without building a
    model instance per row: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere. The table fills
    the other columns (the primary key from its sequence); nothing comes back. For many small
    rows (an evaluation's 36 scores) where the instances would cost more than the insert.

    No field's ``pre_save``/``get_db_prep_save`` runs on PostgreSQL, so only columns whose
    Python values psycopg stores as they are (integers, text, ``Decimal``, dates) belong here;
    the database's constraints still check every row."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in attnames]
    if any(field.attname != name for field, name in zip(fields, attnames, strict=True)):
        raise ValueError("insert_values takes column attnames (organisation_id, not organisation)")
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_MIN_ROWS:
        model._default_manager.db_manager(alias).bulk_create(
            (model(**dict(zip(attnames, row, strict=True))) for row in rows),
            batch_size=batch_size,
        )
        return
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, [field.column for field in fields], rows)


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY table (columns) FROM STDIN`` with the rows, through the connection's execute
    wrappers (so ``zhenhai_so.dataversion`` sees a write to the table)."""
    quote = cursor.db.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(quote(table), ", ".join(quote(c) for c in columns))

    def copy(sql, params, many, context):
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    cursor._execute_with_wrappers(sql, None, False, executor=copy)
