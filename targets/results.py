"""Computed target values kept in the cache until the data under them changes.

Computing every target of the plan reads every organisation, annual report, party organisation
and evaluation (a few hundred milliseconds at 20,000 organisations even with one query per
metric); the numbers only change when those records do. So each evaluated target (``Progress``,
without its lazy record list) is cached under the data version of ``zhenhai_so.dataversion``,
which every committed write to the data the metrics read replaces.
"""

from django.core.cache import cache

from zhenhai_so import dataversion


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
    version = dataversion.current()
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
        cache.set_many(missing, dataversion.ttl())
    return results
