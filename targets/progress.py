"""Status of a target, computed from its stored values, never typed in (``docs/targets.md``,
"Status of a target" and "Dates").

Borrowed from Open SDG's "with target" progress measure (sdg-build ``ProgressMeasure.py``), made
linear: the expected value on the as-of date lies on the straight line from (baseline date, b) to
(deadline, v), and the progress ratio is (value − b) ÷ (expected − b).

The rule functions (``meets``, ``expected_value``, ``status_for``, ``annual_year_status``,
``overall_annual_status``) are pure; ``evaluate_many`` reads the stored values
(``targets.series``) in two queries and applies them. The dashboard, the target pages, the
workbook and ``target_progress`` all read through it, so they show the same numbers.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from . import metrics
from .models import Comparator, Series, Status, Target, Unit
from .series import Point, read

ON_TRACK_RATIO = Decimal("0.95")
AT_RISK_RATIO = Decimal("0.60")

ACHIEVED_STATUSES = frozenset({Status.ACHIEVED, Status.ACHIEVED_ABOVE})


def meets(comparator: str, value: Decimal, goal: Decimal | None, goal_max=None) -> bool:
    """Whether the value meets the comparator (milestones: done count ≥ the number required)."""
    if comparator in (Comparator.GTE, Comparator.MILESTONE):
        return value >= goal
    if comparator == Comparator.GT:
        return value > goal
    if comparator == Comparator.LTE:
        return value <= goal
    if comparator == Comparator.EQ:
        return value == goal
    if comparator == Comparator.RANGE:
        return value >= goal
    return False


def above_range(comparator: str, value: Decimal, goal_max) -> bool:
    return comparator == Comparator.RANGE and goal_max is not None and value > goal_max


def expected_value(
    *,
    baseline: Decimal,
    baseline_date: datetime.date,
    goal: Decimal,
    deadline: datetime.date,
    as_of: datetime.date,
) -> Decimal:
    """The straight line from (baseline date, b) to (deadline, v), read on the as-of date and held
    at b before the baseline date and at v after the deadline."""
    if as_of <= baseline_date:
        return baseline
    if as_of >= deadline:
        return goal
    elapsed = Decimal((as_of - baseline_date).days)
    span = Decimal((deadline - baseline_date).days)
    return baseline + (goal - baseline) * elapsed / span


def ratio_status(ratio: Decimal) -> str:
    if ratio >= ON_TRACK_RATIO:
        return Status.ON_TRACK
    if ratio >= AT_RISK_RATIO:
        return Status.AT_RISK
    if ratio >= 0:
        return Status.OFF_TRACK
    return Status.DETERIORATING


@dataclass
class StatusInputs:
    status: str
    expected: Decimal | None = None
    ratio: Decimal | None = None


def status_for(
    *,
    value: Decimal | None,
    comparator: str,
    goal: Decimal | None,
    goal_max: Decimal | None = None,
    baseline: Decimal | None,
    baseline_date: datetime.date,
    deadline: datetime.date | None,
    as_of: datetime.date,
) -> StatusInputs:
    """The status of a (non-annual) target with its inputs. On the deadline day itself and
    later a target not achieved is missed: the figures are final."""
    if value is None:
        return StatusInputs(Status.NO_DATA)
    if comparator == Comparator.TRACKED or goal is None:
        return StatusInputs(Status.TRACKED)
    if meets(comparator, value, goal, goal_max):
        above = above_range(comparator, value, goal_max)
        return StatusInputs(Status.ACHIEVED_ABOVE if above else Status.ACHIEVED)
    if deadline is not None and as_of >= deadline:
        return StatusInputs(Status.MISSED, goal)
    b = baseline if baseline is not None else Decimal(0)
    decreasing = comparator == Comparator.LTE
    if deadline is None:
        expected = goal
    else:
        expected = expected_value(
            baseline=b, baseline_date=baseline_date, goal=goal, deadline=deadline, as_of=as_of
        )
    if expected == b:
        # On or before the baseline date: holding the baseline is on track.
        holding = value <= b if decreasing else value >= b
        return StatusInputs(Status.ON_TRACK if holding else Status.DETERIORATING, expected)
    ratio = (value - b) / (expected - b)
    return StatusInputs(ratio_status(ratio), expected, ratio)


def annual_year_status(
    *,
    value: Decimal | None,
    comparator: str,
    goal: Decimal,
    goal_max: Decimal | None = None,
    fraction: Decimal,
    finished: bool,
    prorated: bool = True,
) -> StatusInputs:
    """One plan year of an annual target. A finished year is achieved or missed. In the running
    year a count is compared with goal × (days elapsed ÷ days in the year) (``prorated``); a
    rate or a growth is compared with its goal as it stands."""
    if value is None:
        return StatusInputs(Status.NO_DATA)
    if comparator == Comparator.TRACKED:
        return StatusInputs(Status.TRACKED)
    if meets(comparator, value, goal, goal_max):
        above = above_range(comparator, value, goal_max)
        return StatusInputs(Status.ACHIEVED_ABOVE if above else Status.ACHIEVED, goal)
    if finished:
        return StatusInputs(Status.MISSED, goal)
    expected = goal * fraction if prorated else goal
    if expected <= 0:
        # e.g. "growth > 0": nothing to compare a ratio with; not above zero is at risk, below
        # is worse.
        return StatusInputs(Status.DETERIORATING if value < 0 else Status.AT_RISK, expected)
    ratio = value / expected
    return StatusInputs(ratio_status(ratio), expected, ratio)


JUDGED = frozenset({*ACHIEVED_STATUSES, Status.MISSED})


def overall_annual_status(statuses: list[str], *, final: bool = False) -> str:
    """Achieved when every year judged met it; a missed year is missed. While a year runs (and
    the plan has not ended, ``final``), its status speaks for the target. Years not yet due or
    without data are left out; if nothing is left, the target says why."""
    started = [s for s in statuses if s not in (Status.NOT_STARTED, Status.NO_DATA, Status.NOT_DUE)]
    if not started:
        for reason in (Status.NO_DATA, Status.NOT_DUE):
            if reason in statuses:
                return reason
        return Status.NOT_STARTED
    if Status.TRACKED in started:
        return Status.TRACKED
    if Status.MISSED in started:
        return Status.MISSED
    if final:
        judged = [s for s in started if s in JUDGED]
        return Status.ACHIEVED if judged and len(judged) == len(started) else Status.MISSED
    running = [s for s in started if s not in ACHIEVED_STATUSES]
    return running[-1] if running else Status.ACHIEVED


# ---------------------------------------------------------------------------------------------
# Reading the stored values


@dataclass
class YearProgress:
    year: int
    status: str
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    expected: Decimal | None = None
    finished: bool = False
    extras: dict = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class Progress:
    target: Target
    as_of: datetime.date
    township_id: int | None
    status: str
    point: Point
    baseline: Decimal | None = None
    expected: Decimal | None = None
    ratio: Decimal | None = None
    years: list[YearProgress] = field(default_factory=list)
    year: int | None = None  # the plan year the headline value is of (annual targets)
    note: str = ""
    computed_at: datetime.datetime | None = None

    @property
    def value(self):
        return self.point.value

    @property
    def numerator(self):
        return self.point.numerator

    @property
    def denominator(self):
        return self.point.denominator

    @property
    def extras(self) -> dict:
        return self.point.extras

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    def as_dict(self) -> dict:
        """The object ``target_progress --json`` prints."""
        t = self.target
        goal = _number(t.value)
        data = {
            "code": t.code,
            "title": t.title,
            "value": _number(self.value),
            "numerator": _number(self.numerator),
            "denominator": _number(self.denominator),
            "target": [goal, _number(t.value_max)] if t.comparator == Comparator.RANGE else goal,
            "comparator": t.comparator,
            "deadline": t.deadline.isoformat() if t.deadline else None,
            "status": self.status,
        }
        if t.annual:
            data["years"] = [
                {
                    "year": y.year,
                    "value": _number(y.value),
                    "numerator": _number(y.numerator),
                    "denominator": _number(y.denominator),
                    "status": y.status,
                }
                for y in self.years
            ]
        return data


def _number(value) -> float | None:
    if value is None:
        return None
    return float(round(Decimal(value), 4))


NO_POINT = Point(None)


def year_start(target: Target, year: int) -> datetime.date:
    """The first day a plan year's figure is shown: 1 January, or for annual-report targets the
    day the year's reports fall due (before it the year is "not yet due")."""
    return metrics.due_date(target, year)


def year_final(target: Target, year: int) -> datetime.date:
    """The day a plan year's figure is final: 31 December, or the reporting deadline."""
    return max(datetime.date(year, 12, 31), year_start(target, year))


def _progress(target, township_id, as_of, readings, baseline_reading) -> Progress:
    metric = metrics.METRICS[target.metric]
    computed = [r.computed_at for r in readings.values() if r.computed_at]
    common = {
        "target": target,
        "as_of": as_of,
        "township_id": township_id,
        "computed_at": min(computed) if computed else None,
    }
    if township_id is not None and metric.district_only:
        return Progress(
            status=Status.NO_DATA, point=NO_POINT, note=str(metrics.DISTRICT_ONLY), **common
        )
    if target.annual:
        return _annual(target, as_of, readings, common)
    reading = readings.get(0)
    point = reading.point if reading and reading.point else NO_POINT
    baseline = target.baseline
    if baseline is None and point.value is not None and target.comparator != Comparator.TRACKED:
        baseline = (
            baseline_reading.point.value if baseline_reading and baseline_reading.point else None
        )
    deadline = target.deadline
    if deadline is None and target.comparator not in (Comparator.TRACKED,):
        deadline = target.plan.ends_on
    inputs = status_for(
        value=point.value,
        comparator=target.comparator,
        goal=target.value,
        goal_max=target.value_max,
        baseline=baseline,
        baseline_date=target.effective_baseline_date,
        deadline=deadline,
        as_of=as_of,
    )
    return Progress(
        status=inputs.status,
        point=point,
        baseline=baseline,
        expected=inputs.expected,
        ratio=inputs.ratio,
        note=point.extras.get("note", ""),
        **common,
    )


def _annual(target, as_of, readings, common) -> Progress:
    years = []
    headline = None
    for year in target.plan_years:
        start = datetime.date(year, 1, 1)
        shown_from = year_start(target, year)
        if as_of < start:
            years.append(YearProgress(year=year, status=Status.NOT_STARTED))
            continue
        if as_of < shown_from:
            years.append(YearProgress(year=year, status=Status.NOT_DUE))
            continue
        reading = readings.get(year)
        point = reading.point if reading and reading.point else NO_POINT
        end = datetime.date(year, 12, 31)
        finished = as_of >= year_final(target, year)
        fraction = Decimal((min(as_of, end) - start).days + 1) / Decimal((end - start).days + 1)
        inputs = annual_year_status(
            value=point.value,
            comparator=target.comparator,
            goal=target.value,
            goal_max=target.value_max,
            fraction=fraction,
            finished=finished,
            prorated=target.unit == Unit.COUNT,
        )
        years.append(
            YearProgress(
                year=year,
                status=inputs.status,
                value=point.value,
                numerator=point.numerator,
                denominator=point.denominator,
                expected=inputs.expected,
                finished=finished,
                extras=point.extras,
            )
        )
        headline = (year, point, inputs)
    final = as_of >= target.plan.ends_on
    status = overall_annual_status([y.status for y in years], final=final)
    if headline is None:
        note = metrics.NOT_DUE if status == Status.NOT_DUE else ""
        return Progress(status=status, point=NO_POINT, years=years, note=str(note), **common)
    year, point, inputs = headline
    return Progress(
        status=status,
        point=point,
        expected=inputs.expected,
        ratio=inputs.ratio,
        years=years,
        year=year,
        note=point.extras.get("note", ""),
        **common,
    )


def evaluate_many(
    targets, *, as_of: datetime.date | list, township_ids=(None,)
) -> dict[tuple[int | None, datetime.date], list[Progress]]:
    """Every target's progress for each scope (None: the district) and date, read from the
    stored values in two queries: ``{(township id, date): [Progress, ...]}`` in target order."""
    targets = list(targets)
    days = list(dict.fromkeys(as_of if isinstance(as_of, list) else [as_of]))
    wanted = set(days) | {t.effective_baseline_date for t in targets if not t.annual}
    scopes = list(township_ids)
    series = Series.objects.filter(target__in=targets)
    if None in scopes and len(scopes) == 1:
        series = series.filter(township__isnull=True)
    elif None in scopes:
        series = series.filter(township__isnull=True) | series.filter(township_id__in=scopes)
    else:
        series = series.filter(township_id__in=scopes)
    readings = read(series, wanted)
    out: dict = {}
    for scope in scopes:
        for day in days:
            rows = out.setdefault((scope, day), [])
            for target in targets:
                by_year = {
                    year: readings.get((target.pk, scope, year), {}).get(day)
                    for year in [0, *target.plan_years]
                }
                by_year = {y: r for y, r in by_year.items() if r is not None}
                baseline = readings.get((target.pk, scope, 0), {}).get(
                    target.effective_baseline_date
                )
                rows.append(_progress(target, scope, day, by_year, baseline))
    return out


def evaluate(target: Target, *, as_of: datetime.date, township_id: int | None = None) -> Progress:
    (progress,) = evaluate_many([target], as_of=as_of, township_ids=(township_id,))[
        (township_id, as_of)
    ]
    return progress


def evaluate_plan(plan, *, as_of: datetime.date, township_id: int | None = None) -> list[Progress]:
    """Every target of the plan, from the stored values."""
    targets = plan.targets.for_dashboard()
    return evaluate_many(targets, as_of=as_of, township_ids=(township_id,))[(township_id, as_of)]


def records_of(target: Target, *, as_of: datetime.date, township_id: int | None = None):
    """The records behind the number as of the date (for an annual target, those of the plan
    year its headline value is of), each marked whether it counts: the metric's direct
    computation for that date and scope."""
    year = None
    if target.annual:
        started = [y for y in target.plan_years if as_of >= year_start(target, y)]
        if not started:
            return metrics.no_data()
        year = started[-1]
    return metrics.compute(target, as_of=as_of, township_id=township_id, year=year)
