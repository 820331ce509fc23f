"""Values and HTML computed from the register kept in the cache until the data under them changes.

The dashboard's targets read every organisation, annual report, party organisation and
evaluation; the register list counts and renders a page of 20,000 organisations. Both change
only when those records do. So what they compute is cached under a *data version*, and the
version is replaced after every committed write to a table of the watched apps:

* the version is changed by a database execute wrapper (installed on every connection, see
  ``PortalConfig.ready``) that sees each INSERT, UPDATE, DELETE and COPY FROM statement, so
  bulk imports (``zhenhai_so.bulk``), ``bulk_create``/``bulk_update``, ``QuerySet.update()``
  and deletes change it as ``save()`` does; only the tables of ``WATCHED_APPS`` count (not
  sessions, logs, downloads, nor the targets' stored series);
* it is changed right after the statement (so the writing connection never reads its own old
  values) and again once the transaction commits (so a value computed by another process from
  the data before the commit is stored under a version no one asks for any more);
* nothing is read from or written to the cache inside a transaction (tests, services), and when
  the cache cannot be reached (Redis down) everything is computed afresh.

Entries also expire after ``RESULT_TTL`` seconds, which bounds what a change made while Redis
was unreachable could leave behind. Without Redis (``REDIS_URL`` unset) the cache and the version
live in each process: exact for one process (``runserver``, eager tasks), and for several web
processes without Redis a change made by another process shows after ``LOCAL_TTL`` seconds.
"""

import contextlib
import contextvars
import hashlib
import re
import uuid

from django.apps import apps
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections, transaction

VERSION_KEY = "targets:data-version"
RESULT_TTL = 15 * 60
LOCAL_TTL = 60
WATCHED_APPS = ("registry", "evaluation", "procurement", "partybuilding", "targets")
# The targets' stored series are computed from the data, not data themselves.
NOT_WATCHED = {"targets_series", "targets_targetvalue", "targets_refreshrequest"}
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?([A-Za-z0-9_]+)"?(?!.*\bTO\s+STDOUT)',
    re.I | re.S,
)
_watched_tables: frozenset[str] | None = None


def watched_tables() -> frozenset[str]:
    global _watched_tables
    if _watched_tables is None:
        _watched_tables = frozenset(
            model._meta.db_table
            for label in WATCHED_APPS
            if apps.is_installed(label)
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
            if model._meta.db_table not in NOT_WATCHED
        )
    return _watched_tables


def bump(key: str = VERSION_KEY) -> None:
    """Give the data (or what ``key`` names) a new version: every value cached under the old
    one is out of date."""
    cache.set(key, uuid.uuid4().hex, None)


def data_version(key: str = VERSION_KEY) -> str | None:
    """The current version, or None when values must not be cached (cache unreachable)."""
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def _watched_table_written(sql: str) -> str | None:
    match = _WRITE.match(sql) if isinstance(sql, str) else None
    return match.group(1) if match and match.group(1) in watched_tables() else None


def watch_writes(execute, sql, params, many, context):
    """Execute wrapper: a write to a watched table changes the version now and on commit, and
    the listeners hear of it once the write is committed."""
    result = execute(sql, params, many, context)
    table = _watched_table_written(sql)
    if table:
        now_and_on_commit(bump, context["connection"])
        _note_write(context["connection"], table)
    return result


# Called with the set of watched tables a committed transaction wrote to (``on_commit_of``).
_listeners: list = []


def on_commit_of_writes(listener) -> None:
    """Call ``listener(tables)`` after every commit that wrote to watched tables (the targets
    app refreshes its stored series this way)."""
    if listener not in _listeners:
        _listeners.append(listener)


_paused = contextvars.ContextVar("dataversion_listeners_paused", default=False)


@contextlib.contextmanager
def listeners_paused():
    """Bulk loads that commit many times and take care of what follows themselves (the bench
    data generator) keep the listeners quiet meanwhile."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _notify(tables: set) -> None:
    if _paused.get():
        return
    for listener in list(_listeners):
        listener(frozenset(tables))


def _note_write(connection, table: str) -> None:
    """Remember that the connection wrote to the table; the listeners hear of it at a safe
    point, never from inside the statement: when the transaction commits, or, for a write
    made outside a transaction, at the end of the request (``flush_after_request``) or the
    connection's next commit."""
    if not _listeners:
        return
    written = connection.__dict__.setdefault("_zhenhai_written", set())
    written.add(table)
    if not connection.in_atomic_block:
        return
    flush = connection.__dict__.get("_zhenhai_flush")
    if (
        flush is None
        or flush.fired
        or not any(f is flush for _s, f, _r in connection.run_on_commit)
    ):

        def flush():  # once per transaction, however many writes it holds
            flush.fired = True
            _flush(connection)

        flush.fired = False
        connection._zhenhai_flush = flush
        transaction.on_commit(flush, using=connection.alias)


def _flush(connection) -> None:
    written = connection.__dict__.pop("_zhenhai_written", None)
    if written:
        _notify(written)


def flush_after_request(**kwargs) -> None:
    """``request_finished`` receiver: the listeners hear of the request's writes made outside
    a transaction, after the response."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            _flush(connection)


def now_and_on_commit(renew, connection) -> None:
    """Call ``renew`` (which replaces a version) now and, inside a transaction, once more when
    it commits: once per transaction, however many writes it holds."""
    renew()
    if connection.in_atomic_block and not any(
        func is renew for _sids, func, _robust in connection.run_on_commit
    ):
        transaction.on_commit(renew, using=connection.alias)


def install(connection, **kwargs) -> None:
    """``connection_created`` receiver: watch this connection's writes."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def usable(using: str = "default") -> bool:
    """Values are cached only outside transactions (a transaction may hold writes of its own
    that other processes cannot see yet, and tests run inside one)."""
    return not connections[using].in_atomic_block


def current(key: str = VERSION_KEY) -> str | None:
    """The version to cache under now, or None when nothing may be cached (inside a
    transaction, or the cache unreachable)."""
    return data_version(key) if usable() else None


def ttl() -> int:
    """How long a computed entry is kept: ``RESULT_TTL`` in a shared cache, ``LOCAL_TTL`` in a
    process's own (where another process's change cannot replace the version)."""
    return LOCAL_TTL if isinstance(caches["default"], LocMemCache) else RESULT_TTL


def cached(name: str, parts, compute, *, version_key: str = VERSION_KEY, timeout=None):
    """``compute()``, a picklable value made from the watched data only, kept in the cache under
    the data version (so a change shows at once) for ``timeout`` seconds at most (``ttl()`` by
    default); computed afresh inside transactions and when the cache cannot be reached.
    ``parts`` name the value's inputs other than the data (a date, a township, the language, a
    query string); the key holds their digest, so it stays short whatever a query string holds.
    ``version_key`` names another version than the data's, replaced by ``bump(version_key)``
    (the permission sets of ``zhenhai_so.auth``)."""
    version = current(version_key)
    if version is None:
        return compute()
    inputs = "\x1f".join(str(part) for part in parts).encode()
    key = f"data:{name}:{version}:{hashlib.blake2b(inputs, digest_size=16).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl() if timeout is None else timeout)
    return value
