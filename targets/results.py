"""Computed target values kept in the cache until the data under them changes.

Computing every target of the plan reads every organisation, annual report, party organisation
and evaluation (a few hundred milliseconds at 20,000 organisations even with one query per
metric); the numbers only change when those records do. So each evaluated target (``Progress``,
without its lazy record list) is cached under a *data version*, and the version is replaced after
every committed write to a table the metrics read:

* the version is changed by a database execute wrapper (installed on every connection, see
  ``TargetsConfig.ready``) that sees each INSERT, UPDATE, DELETE and COPY FROM statement, so
  bulk imports (``zhenhai_so.bulk``), ``bulk_create``/``bulk_update``, ``QuerySet.update()``
  and deletes change it as ``save()`` does; only the tables of the apps the metrics read count
  (not sessions, logs, downloads, nor the stored snapshots themselves);
* it is changed right after the statement (so the writing connection never reads its own old
  numbers) and again once the transaction commits (so a page computed by another process from
  the data before the commit is stored under a version no one asks for any more);
* nothing is read from or written to the cache inside a transaction (tests, services), and when
  the cache cannot be reached (Redis down) every page computes afresh.

Entries also expire after ``RESULT_TTL`` seconds, which bounds what a change made while Redis
was unreachable could leave behind. Without Redis (``REDIS_URL`` unset) the cache and the version
live in each process: exact for one process (``runserver``, eager tasks), and for several web
processes without Redis a change made by another process shows after ``LOCAL_TTL`` seconds.
"""

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
NOT_WATCHED = {"targets_snapshot"}
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


def bump() -> None:
    """Give the data a new version: every cached result is out of date."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def data_version() -> str | None:
    """The current version, or None when results must not be cached (cache unreachable)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def _writes_watched_table(sql: str) -> bool:
    match = _WRITE.match(sql) if isinstance(sql, str) else None
    return bool(match) and match.group(1) in watched_tables()


def watch_writes(execute, sql, params, many, context):
    """Execute wrapper: a write to a watched table changes the version now and on commit."""
    result = execute(sql, params, many, context)
    if _writes_watched_table(sql):
        bump()
        connection = context["connection"]
        if connection.in_atomic_block and not any(
            func is bump for _sids, func, _robust in connection.run_on_commit
        ):
            transaction.on_commit(bump, using=connection.alias)
    return result


def install(connection, **kwargs) -> None:
    """``connection_created`` receiver: watch this connection's writes."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def usable(using: str = "default") -> bool:
    """Results are cached only outside transactions (a transaction may hold writes of its own
    that other processes cannot see yet, and tests run inside one)."""
    return not connections[using].in_atomic_block


def _key(version: str, target, as_of, township_id) -> str:
    return f"targets:progress:{version}:{target.pk}:{as_of.isoformat()}:{township_id or 0}"


def _storable(progress):
    """The progress without its lazy querysets (a queryset would be evaluated by pickling)."""
    progress.result.records = None
    for year in progress.years:
        if year.result is not None:
            year.result.records = None
    return progress


def evaluate_many(targets, *, as_of, township_id=None, compute):
    """``[compute(target) for target in targets]``, each taken from the cache when it holds the
    target's progress at the current data version, computed and stored otherwise. The results
    carry no record lists (``records`` is None); ask ``progress.records_of`` for those."""
    targets = list(targets)
    version = data_version() if usable() else None
    if version is None:
        return [compute(t) for t in targets]
    keys = [_key(version, t, as_of, township_id) for t in targets]
    found = cache.get_many(keys)
    results, missing = [], {}
    for target, key in zip(targets, keys, strict=True):
        progress = found.get(key)
        if progress is None:
            progress = _storable(compute(target))
            missing[key] = progress
        else:
            progress.target = target
        results.append(progress)
    if missing:
        cache.set_many(missing, _ttl())
    return results


def _ttl() -> int:
    """How long a computed entry is kept: ``RESULT_TTL`` in a shared cache, ``LOCAL_TTL`` in a
    process's own (where another process's change cannot replace the version)."""
    return LOCAL_TTL if isinstance(caches["default"], LocMemCache) else RESULT_TTL


def cached_html(name: str, parts, render) -> str:
    """``render()``, an HTML fragment made from computed values only, kept in the cache under
    the data version like the values themselves (so a change shows at once); computed afresh
    inside transactions and when the cache cannot be reached. ``parts`` name the fragment's
    inputs other than the data (plan, date, township, language)."""
    version = data_version() if usable() else None
    if version is None:
        return render()
    key = f"targets:html:{name}:{version}:" + ":".join(str(part) for part in parts)
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, _ttl())
    return html
