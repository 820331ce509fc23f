"""Status of a target (TARGETS.md, "Status of a target"), computed, never typed in.

Borrowed from Open SDG's "with target" progress measure (sdg-build ``ProgressMeasure.py``), made
linear: the expected value on the as-of date lies on the straight line from (baseline date, b) to
(deadline, v), and the progress ratio is (value − b) ÷ (expected − b).

The rule functions (``meets``, ``expected_value``, ``status_for``, ``annual_year_status``,
``overall_annual_status``) are pure; ``evaluate`` reads the data through ``targets.metrics``.
"""

import contextlib
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldError

from . import metrics
from .metrics import MetricResult
from .models import Comparator, Status, Target

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
    """The status of a (non-annual) target with its inputs."""
    if value is None:
        return StatusInputs(Status.NO_DATA)
    if comparator == Comparator.TRACKED or goal is None:
        return StatusInputs(Status.TRACKED)
    if meets(comparator, value, goal, goal_max):
        above = above_range(comparator, value, goal_max)
        return StatusInputs(Status.ACHIEVED_ABOVE if above else Status.ACHIEVED)
    if deadline is not None and as_of > deadline:
        return StatusInputs(Status.MISSED)
    b = baseline if baseline is not None else Decimal(0)
    decreasing = comparator == Comparator.LTE
    if deadline is None:
        expected = goal
    else:
        expected = expected_value(
            baseline=b, baseline_date=baseline_date, goal=goal, deadline=deadline, as_of=as_of
        )
    if expected == b:
        # On or before the baseline date: holding the baseline is on track (TARGETS.md).
        holding = value <= b if decreasing else value >= b
        return StatusInputs(Status.ON_TRACK if holding else Status.DETERIORATING, expected)
    ratio = (value - b) / (expected - b)
    return StatusInputs(ratio_status(ratio), expected, ratio)


def year_window(target: Target, year: int) -> tuple[datetime.date, datetime.date]:
    """The days a plan year's figure accrues over. Annual-report targets close on the reporting
    deadline of the next year (``params.year_closes`` "MM-DD"), the others on 31 December."""
    closes = target.params.get("year_closes")
    if closes:
        month, day = (int(p) for p in closes.split("-"))
        return datetime.date(year, 1, 1), datetime.date(year + 1, month, day)
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def annual_year_status(
    *,
    value: Decimal | None,
    comparator: str,
    goal: Decimal,
    goal_max: Decimal | None = None,
    fraction: Decimal,
    finished: bool,
) -> StatusInputs:
    """One plan year of an annual target. A finished year is achieved or missed; in the running
    year "on track" means value ≥ goal × (days elapsed ÷ days in the year)."""
    if value is None:
        return StatusInputs(Status.NO_DATA)
    if comparator == Comparator.TRACKED:
        return StatusInputs(Status.TRACKED)
    if meets(comparator, value, goal, goal_max):
        above = above_range(comparator, value, goal_max)
        return StatusInputs(Status.ACHIEVED_ABOVE if above else Status.ACHIEVED, goal)
    if finished:
        return StatusInputs(Status.MISSED, goal)
    expected = goal * fraction
    if expected <= 0:
        # e.g. "growth > 0": nothing to pro-rate; not above zero is at risk, below is worse.
        return StatusInputs(Status.DETERIORATING if value < 0 else Status.AT_RISK, expected)
    ratio = value / expected
    return StatusInputs(ratio_status(ratio), expected, ratio)


def overall_annual_status(statuses: list[str]) -> str:
    """Achieved when every finished year met it; a missed year is missed; while a year runs, its
    status speaks for the target."""
    started = [s for s in statuses if s not in (Status.NOT_STARTED, Status.NO_DATA)]
    if not started:
        return Status.NO_DATA if Status.NO_DATA in statuses else Status.NOT_STARTED
    if Status.MISSED in started:
        return Status.MISSED
    if Status.TRACKED in started:
        return Status.TRACKED
    running = [s for s in started if s not in ACHIEVED_STATUSES]
    return running[-1] if running else Status.ACHIEVED


# ---------------------------------------------------------------------------------------------
# Reading the data


@dataclass
class YearProgress:
    year: int
    status: str
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    expected: Decimal | None = None
    finished: bool = False
    result: MetricResult | None = None

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class Progress:
    target: Target
    as_of: datetime.date
    township_id: int | None
    status: str
    result: MetricResult
    baseline: Decimal | None = None
    expected: Decimal | None = None
    ratio: Decimal | None = None
    years: list[YearProgress] = field(default_factory=list)

    @property
    def value(self):
        return self.result.value

    @property
    def numerator(self):
        return self.result.numerator

    @property
    def denominator(self):
        return self.result.denominator

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    def as_dict(self) -> dict:
        """The object ``target_progress --json`` prints (DESIGN.md contract 5)."""
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


def _safe_compute(target, **kwargs) -> MetricResult:
    """The metric, or "no data" when another app's model is not yet what the metric expects."""
    try:
        return metrics.compute(target, **kwargs)
    except (FieldError, LookupError) as error:
        return metrics.no_data(metrics.NOT_YET, error=str(error))


def evaluate(
    target: Target,
    *,
    as_of: datetime.date,
    township_id: int | None = None,
    baselines: dict | None = None,
) -> Progress:
    """The target's value, status and status inputs as of the date, district-wide or for one
    township. A baseline the target does not state is its value on the baseline date: taken from
    ``baselines`` (stored snapshots, see ``stored_baselines``) when given there, else computed."""
    if target.annual:
        return _evaluate_annual(target, as_of=as_of, township_id=township_id)
    result = _safe_compute(target, as_of=as_of, township_id=township_id)
    baseline = target.baseline
    baseline_date = target.effective_baseline_date
    if baseline is None and result.value is not None and target.comparator != Comparator.TRACKED:
        if baselines is not None and target.pk in baselines:
            baseline = baselines[target.pk]
        else:
            baseline = _safe_compute(target, as_of=baseline_date, township_id=township_id).value
    inputs = status_for(
        value=result.value,
        comparator=target.comparator,
        goal=target.value,
        goal_max=target.value_max,
        baseline=baseline,
        baseline_date=baseline_date,
        deadline=target.deadline,
        as_of=as_of,
    )
    return Progress(
        target=target,
        as_of=as_of,
        township_id=township_id,
        status=inputs.status,
        result=result,
        baseline=baseline,
        expected=inputs.expected,
        ratio=inputs.ratio,
    )


def _evaluate_annual(target, *, as_of, township_id) -> Progress:
    years = []
    current = None
    windows = [
        (year, min(as_of, year_window(target, year)[1]))
        for year in target.plan_years
        if as_of >= year_window(target, year)[0]
    ]
    # The metric may count every plan year at once (while ``metrics.sharing()`` is on); if its
    # data is not there yet, each year says "no data" by itself (``_safe_compute``).
    with contextlib.suppress(FieldError, LookupError):
        metrics.prefetch(target, windows)
    for year in target.plan_years:
        start, end = year_window(target, year)
        if as_of < start:
            years.append(YearProgress(year=year, status=Status.NOT_STARTED))
            continue
        finished = as_of >= end
        result = _safe_compute(target, as_of=min(as_of, end), township_id=township_id, year=year)
        fraction = Decimal((min(as_of, end) - start).days + 1) / Decimal((end - start).days + 1)
        inputs = annual_year_status(
            value=result.value,
            comparator=target.comparator,
            goal=target.value,
            goal_max=target.value_max,
            fraction=fraction,
            finished=finished,
        )
        years.append(
            YearProgress(
                year=year,
                status=inputs.status,
                value=result.value,
                numerator=result.numerator,
                denominator=result.denominator,
                expected=inputs.expected,
                finished=finished,
                result=result,
            )
        )
        current = (result, inputs)
    if current is None:
        result, expected, ratio = metrics.no_data(), None, None
    else:
        result, expected, ratio = current[0], current[1].expected, current[1].ratio
    return Progress(
        target=target,
        as_of=as_of,
        township_id=township_id,
        status=overall_annual_status([y.status for y in years]),
        result=result,
        expected=expected,
        ratio=ratio,
        years=years,
    )


def stored_baselines(targets, township_id: int | None) -> dict:
    """Values stored by the snapshot task on each target's baseline date, in one query. The
    baseline date lies in the past, so its stored value is what a fresh computation gives unless
    old records were corrected since (``snapshot_targets --as-of`` stores it again)."""
    from .models import Snapshot

    wanted = {t.pk: t.effective_baseline_date for t in targets if not t.annual}
    rows = Snapshot.objects.filter(
        target_id__in=wanted, township_id=township_id, as_of__in=set(wanted.values())
    ).values_list("target_id", "as_of", "value")
    return {pk: value for pk, day, value in rows if wanted[pk] == day and value is not None}


def evaluate_plan(
    plan, *, as_of: datetime.date, township_id: int | None = None, cached: bool = False
) -> list[Progress]:
    """Every target of the plan; the dashboard, its workbook and ``target_progress`` all read
    this, so they show the same numbers. ``cached``: taken from ``targets.results`` while the
    data has not changed (without record lists)."""
    targets = list(plan.targets.for_dashboard())
    if cached:
        return evaluate_cached(targets, as_of=as_of, township_id=township_id)
    baselines = stored_baselines(targets, township_id)
    with metrics.sharing():
        return [
            evaluate(t, as_of=as_of, township_id=township_id, baselines=baselines) for t in targets
        ]


def evaluate_cached(targets, *, as_of: datetime.date, township_id: int | None = None):
    """``evaluate`` of each target, from the results cache when the data has not changed since it
    was computed (``targets.results``); the results carry no record lists (see ``records_of``)."""
    from . import results

    state = {}

    def compute(target):
        if "baselines" not in state:  # one query, and only when something is computed
            state["baselines"] = stored_baselines(targets, township_id)
        return evaluate(target, as_of=as_of, township_id=township_id, baselines=state["baselines"])

    with metrics.sharing():
        return results.evaluate_many(targets, as_of=as_of, township_id=township_id, compute=compute)


def records_of(target: Target, *, as_of: datetime.date, township_id: int | None = None):
    """The metric's records behind the number as of the date (for an annual target, those of the
    running or last started plan year), built without counting them again."""
    year = None
    when = as_of
    if target.annual:
        started = [y for y in target.plan_years if as_of >= year_window(target, y)[0]]
        if not started:
            return metrics.no_data()
        year = started[-1]
        when = min(as_of, year_window(target, year)[1])
    with metrics.records_only():
        return _safe_compute(target, as_of=when, township_id=township_id, year=year)
