"""Stored series: every target's value on every date, as a step function the pages read.

A target's figures change only on the dates of events (a registration or a dissolution, a report
submitted, a result published, a site named, a township report accepted...). So each metric
computes its whole series at once (``Metric.series``), from a few queries, by sweeping over the
events in date order (``sweep``), and the refresh stores it as steps: the value (with its
numerator, denominator and details) from each change date on (``TargetValue``). A page asks for
any date and any township with one indexed look-up per series (``read``).

The rules of what counts on a date are in ``docs/targets.md``; ``refresh_targets --verify``
compares the stored steps with the direct computation of each metric on random dates.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

ONE_DAY = datetime.timedelta(days=1)
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Point:
    """A figure: ``value`` None means "no data"."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    extras: dict = field(default_factory=dict)

    def stored(self) -> tuple:
        return (
            rounded(self.value),
            rounded(self.numerator),
            rounded(self.denominator),
            self.extras,
        )


def rounded(value):
    """A number as it is stored: to four decimal places (None stays None)."""
    return None if value is None else Decimal(value).quantize(FOUR_PLACES)


# A series: the figure of one scope (None = the district, else a township id) and plan year
# (0 for targets that are not annual), as (from date, point) steps in date order.
SeriesKey = tuple[int | None, int]
Steps = list[tuple[datetime.date, Point]]


# ---------------------------------------------------------------------------------------------
# Intervals: a condition that holds from a date until (not including) another, or open-ended.

Interval = tuple[datetime.date, datetime.date | None]


def clip(intervals: Iterable[Interval], start, end) -> list[Interval]:
    """The parts of the intervals inside [start, end) (end None: open)."""
    out = []
    for a, b in intervals:
        lo = max(a, start)
        hi = b if end is None else (end if b is None else min(b, end))
        if hi is None or lo < hi:
            out.append((lo, hi))
    return out


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Merge overlapping or touching intervals."""
    merged: list[list] = []
    for a, b in sorted(intervals, key=lambda i: i[0]):
        if merged and (merged[-1][1] is None or a <= merged[-1][1]):
            last = merged[-1]
            last[1] = None if (last[1] is None or b is None) else max(last[1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    out = []
    for a, b in first:
        out.extend(clip(second, a, b))
    return union(out)


def segments(changes: list[tuple[datetime.date, object]], end=None) -> list[tuple]:
    """(start, end, state) from (date, state) changes in date order; the last runs to ``end``."""
    out = []
    for i, (day, state) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else end
        if until is None or day < until:
            out.append((day, until, state))
    return out


# ---------------------------------------------------------------------------------------------
# The sweep


@dataclass
class Window:
    """The dates a refresh computes: from the plan's start to the later of its end and today,
    and the townships it computes them for (besides the district)."""

    first: datetime.date
    last: datetime.date
    townships: list[int]
    memo: dict = field(default_factory=dict)

    def once(self, key, load: Callable):
        """What ``load()`` gives, loaded once per refresh (the metrics share the register)."""
        if key not in self.memo:
            self.memo[key] = load()
        return self.memo[key]


Item = tuple[int | None, datetime.date, datetime.date | None, dict]


def sweep(
    items: Iterable[Item], window: Window, *, breaks: Iterable[datetime.date] = ()
) -> dict[int | None, list[tuple[datetime.date, dict]]]:
    """Running totals of the items' weights per scope, at every date one of them changes.

    An item ``(township id, start, end, weights)`` adds its weights (a dict of counts or amounts)
    from ``start`` on and takes them away from ``end`` on (None: never); it counts in its township
    and in the district (a township id of None counts in the district only). Dates before the
    window's first day fold into its first day. ``breaks`` are dates on which every scope gets a
    step even without a change (a new year's population, a reporting deadline)."""
    first, last = window.first, window.last
    breaks = {d for d in breaks if first < d <= last}
    deltas: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for township, start, end, weights in items:
        if start is None or start > last:
            continue
        start = max(start, first)
        if end is not None and end <= start:
            continue
        at = deltas[start][township]
        for key, weight in weights.items():
            at[key] += weight
        if end is not None and end <= last:
            at = deltas[end][township]
            for key, weight in weights.items():
                at[key] -= weight
    dates = sorted(set(deltas) | breaks | {first})
    running = {t: defaultdict(int) for t in [None, *window.townships]}
    out: dict = {scope: [] for scope in running}
    for day in dates:
        changed = deltas.get(day, {})
        for township, weights in changed.items():
            for scope in {township, None}:
                totals = running.setdefault(scope, defaultdict(int))
                out.setdefault(scope, [])
                for key, weight in weights.items():
                    totals[key] += weight
        scopes = running if day == first or day in breaks else {*changed, None}
        for scope in scopes:
            out[scope].append((day, dict(running[scope])))
    return out


def steps_of(
    totals: dict[int | None, list[tuple[datetime.date, dict]]],
    point: Callable[[dict, datetime.date, int | None], Point],
    *,
    year: int = 0,
) -> dict[SeriesKey, Steps]:
    """The points of each scope's running totals (``point(totals, date, scope)``)."""
    return {
        (scope, year): [(day, point(counts, day, scope)) for day, counts in rows]
        for scope, rows in totals.items()
    }


def compact(steps: Steps) -> Steps:
    """Drop steps that repeat the point before them."""
    out: Steps = []
    for day, point in sorted(steps, key=lambda s: s[0]):
        if out and out[-1][0] == day:
            out[-1] = (day, point)
        elif not out or out[-1][1].stored() != point.stored():
            out.append((day, point))
    return out


# ---------------------------------------------------------------------------------------------
# Storing and reading


def store(target, computed: dict[SeriesKey, Steps], *, since: datetime.date | None = None) -> int:
    """Store the computed series of the target, writing only what differs from the stored
    steps: each series from its first differing step on (a change on a date changes the steps
    from that date). ``since``: leave the steps before that date as they are. Returns the number
    of steps written."""
    from .models import Series, TargetValue

    now = timezone.now()
    with transaction.atomic():
        existing = {(s.township_id, s.year): s for s in Series.objects.filter(target=target)}
        for key in set(existing) - set(computed):
            existing.pop(key).delete()
        old: dict = defaultdict(list)
        rows = TargetValue.objects.filter(series__target=target)
        if since is not None:
            rows = rows.filter(valid_from__gte=since)
        for row in rows.order_by("series_id", "valid_from").values_list(
            "series_id", "valid_from", "value", "numerator", "denominator", "extras"
        ):
            old[row[0]].append(row[1:])
        new_rows = []
        for key, steps in computed.items():
            series = existing.get(key)
            if series is None:
                series = Series.objects.create(
                    target=target, township_id=key[0], year=key[1], computed_at=now
                )
            wanted = [(day, *_stored(point)) for day, point in compact(steps)]
            if since is not None:
                before = [w for w in wanted if w[0] <= since]
                wanted = ([(since, *before[-1][1:])] if before else []) + [
                    w for w in wanted if w[0] > since
                ]
            stored = old.get(series.pk, [])
            same = 0
            while same < min(len(stored), len(wanted)) and stored[same] == wanted[same]:
                same += 1
            if same == len(stored) == len(wanted):
                continue
            if same < len(stored):
                TargetValue.objects.filter(series=series, valid_from__gte=stored[same][0]).delete()
            new_rows += [(series.pk, *w) for w in wanted[same:]]
        Series.objects.filter(target=target).update(computed_at=now)
        _insert(new_rows)
    return len(new_rows)


def _stored(point: Point) -> tuple:
    """The point as the database gives it back: numbers to four places, details as JSON."""
    value, numerator, denominator, extras = point.stored()
    return (value, numerator, denominator, _jsonable(extras))


def _insert(rows: list[tuple]) -> None:
    from psycopg.types.json import Jsonb

    from zhenhai_so.bulk import COPY_MIN_ROWS, insert_values

    from .models import TargetValue

    columns = ("series_id", "valid_from", "value", "numerator", "denominator", "extras")
    if connections["default"].vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        rows = [(*row[:5], Jsonb(row[5])) for row in rows]  # COPY takes JSON wrapped
    insert_values(TargetValue, columns, rows, batch_size=5000)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(round(value, 4))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Reading:
    """A stored step read for a date."""

    series_id: int
    target_id: int
    township_id: int | None
    year: int
    day: datetime.date
    valid_from: datetime.date | None
    point: Point | None
    computed_at: datetime.datetime | None


def read(series, days: Iterable[datetime.date]) -> dict[tuple[int, int | None, int], dict]:
    """The stored point of each series (a ``Series`` queryset) on each of the days:
    ``{(target id, township id, year): {day: Reading}}``, in two queries whatever the number of
    series and days (the step of each series and day is found by an index look-up)."""
    from .models import TargetValue

    days = sorted(set(days))
    annotations = {
        f"d{i}": Subquery(
            TargetValue.objects.filter(series=OuterRef("pk"), valid_from__lte=day)
            .order_by("-valid_from")
            .values("pk")[:1]
        )
        for i, day in enumerate(days)
    }
    rows = list(
        series.annotate(**annotations).values(
            "pk", "target_id", "township_id", "year", "computed_at", *annotations
        )
    )
    wanted = {row[name] for row in rows for name in annotations if row[name] is not None}
    points = {v.pk: v for v in TargetValue.objects.filter(pk__in=wanted)}
    out: dict = {}
    for row in rows:
        by_day = out.setdefault((row["target_id"], row["township_id"], row["year"]), {})
        for i, day in enumerate(days):
            step = points.get(row[f"d{i}"])
            by_day[day] = Reading(
                series_id=row["pk"],
                target_id=row["target_id"],
                township_id=row["township_id"],
                year=row["year"],
                day=day,
                valid_from=step.valid_from if step else None,
                point=step.point if step else None,
                computed_at=row["computed_at"],
            )
    return out
