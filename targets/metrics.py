"""The metrics that targets name (``Target.metric``), each defined twice over the same rule: as a
direct computation for one date and scope (``Metric.compute``: SQL counts over the records behind
the number, which the target page lists and ``refresh_targets --verify`` compares), and as a whole
series (``Metric.series``: every date from the plan's start on, swept from a few queries, which
the refresh stores and every page reads). ``docs/targets.md`` gives each definition and the rules
of what counts on a date; the two computations must agree on every date (a test and
``--verify`` check it).

A metric declares the models it reads (a change to them refreshes its targets) and its
parameters (checked at start-up by a system check, so a typo fails loudly).
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.models import Evaluation
from partybuilding.models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    Training,
    TrainingEnrolment,
)
from procurement.models import Award, Brand, PerformanceEvaluation, Project
from registry.models import (
    LEGAL_TYPES,
    AnnualReport,
    Community,
    Decoupling,
    Inspection,
    ListEntry,
    Organisation,
    OrgType,
    Sector,
    Township,
    annual_report_due_date,
)

from .models import Milestone, Population, QuarterlyReport, QuarterlyValue, quarter_end
from .series import (
    ONE_DAY,
    Point,
    SeriesKey,
    Steps,
    Window,
    clip,
    intersect,
    segments,
    steps_of,
    sweep,
    union,
)

HUNDRED = Decimal(100)
DISTRICT_ONLY = _("This target is kept for the district as a whole, not per township.")
NOT_DUE = _("The annual reports of this year are not yet due.")


@dataclass
class MetricResult:
    """A number computed directly for one date and scope, with what it is made of and the
    records behind it (annotated ``meets`` where a record does or does not count). ``value``
    None means "no data"."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    records: QuerySet | None = None
    record_kind: str = ""
    extras: dict = field(default_factory=dict)
    note: str = ""

    @property
    def no_data(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Param:
    """A parameter a metric takes from ``Target.params``."""

    name: str
    label: str
    choices: tuple = ()  # allowed values; empty: a whole number (or, for "code", any code)
    required: bool = True
    kind: str = "number"  # "number", "choice" (given choices) or "code" (a quarterly figure)


@dataclass
class Metric:
    name: str
    label: str
    reads: tuple  # the models whose changes refresh the targets naming this metric
    record_kind: str
    params: tuple[Param, ...] = ()
    district_only: bool = False
    # Which stored number says how many records the drill-down lists (spares it a COUNT):
    # "denominator" (a share of its records), "numerator" (a count of them) or "" (neither).
    counts_records: str = "denominator"
    compute: Callable | None = None  # (target, *, as_of, township_id, year) -> MetricResult
    series: Callable | None = None  # (target, window) -> {(township id, year): steps}

    def direct(self, fn):
        self.compute = fn
        return fn

    def swept(self, fn):
        self.series = fn
        return fn

    def check(self, params: dict, codes=None) -> list[str]:
        """What is wrong with a target's parameters for this metric (empty: nothing); ``codes``:
        the figures of the plan's quarterly form, for parameters naming one."""
        problems = []
        known = {p.name for p in self.params}
        for p in self.params:
            value = params.get(p.name)
            if value is None:
                if p.required:
                    problems.append(f"missing parameter {p.name!r}")
            elif p.choices and value not in p.choices:
                problems.append(f"{p.name}={value!r} is not one of {list(p.choices)}")
            elif p.kind == "number" and not p.choices and not str(value).isdigit():
                problems.append(f"{p.name}={value!r} is not a whole number")
            elif p.kind == "code" and codes is not None and value not in codes:
                problems.append(f"{p.name}={value!r} is not a figure of the plan's quarterly form")
        problems += [f"unknown parameter {name!r}" for name in set(params) - known]
        return problems


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    METRICS[metric.name] = metric
    return metric


def compute(target, *, as_of: datetime.date, township_id=None, year=None) -> MetricResult:
    """The target's metric computed directly as of the date, for the district or one township
    (and, for an annual target, one plan year)."""
    metric = METRICS[target.metric]
    if township_id is not None and metric.district_only:
        return no_data(DISTRICT_ONLY)
    return metric.compute(target, as_of=as_of, township_id=township_id, year=year)


def no_data(note="", **extras) -> MetricResult:
    return MetricResult(value=None, note=str(note), extras=extras)


def percent(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) * HUNDRED / Decimal(denominator)


def _meets(population: QuerySet, condition) -> QuerySet:
    return population.annotate(
        meets=Case(
            When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


class _Share(MetricResult):
    """A share whose counts are taken only when asked for: the target page lists the records
    and takes its numbers from the stored values, so it never pays for the counts."""

    def __init__(self, records: QuerySet, kind: str, extras: dict):
        self.records, self.record_kind, self.extras, self.note = records, kind, extras, ""
        self._totals = None

    def _count(self) -> dict:
        if self._totals is None:
            self._totals = self.records.aggregate(
                n=Count("pk"), m=Count("pk", filter=Q(meets=True))
            )
        return self._totals

    @property
    def value(self):
        return percent(self._count()["m"], self._count()["n"])

    @property
    def numerator(self):
        return Decimal(self._count()["m"])

    @property
    def denominator(self):
        return Decimal(self._count()["n"])


def _share(population: QuerySet, condition, *, kind: str, **extras) -> MetricResult:
    """Share (%) of ``population`` meeting the condition, counted over the records listed (when
    the numbers are asked for)."""
    return _Share(_meets(population, condition), kind, extras)


def _count(records: QuerySet, kind: str, **extras) -> MetricResult:
    n = Decimal(records.count())
    return MetricResult(value=n, numerator=n, records=records, record_kind=kind, extras=extras)


def _share_point(counts: dict, **extras) -> Point:
    n, m = counts.get("n", 0), counts.get("m", 0)
    return Point(percent(m, n), Decimal(m), Decimal(n), extras)


def _count_point(counts: dict, **extras) -> Point:
    n = Decimal(counts.get("n", 0))
    return Point(n, n, None, extras)


def _year_start(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


def _year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def _years(target, window: Window) -> list[int]:
    return [y for y in target.plan_years if _year_start(y) <= window.last]


def _per_year(target, window: Window, one_year: Callable) -> dict[SeriesKey, Steps]:
    """An annual target's series: ``one_year(year, window of that year)`` for each plan year,
    from 1 January of the year on."""
    out: dict = {}
    for year in _years(target, window):
        out.update(one_year(year, _window_from(window, _year_start(year))))
    return out


def _window_from(window: Window, first: datetime.date, last=None) -> Window:
    return Window(
        first=first,
        last=min(window.last, last) if last else window.last,
        townships=window.townships,
        memo=window.memo,
    )


def _district_only(computed: dict[SeriesKey, Steps]) -> dict[SeriesKey, Steps]:
    return {key: steps for key, steps in computed.items() if key[0] is None}


# ---------------------------------------------------------------------------------------------
# The register: what every register-based metric reads, once per refresh

REGISTER = (Organisation,)


def _organisations(window: Window) -> list:
    return window.once(
        "organisations",
        lambda: list(
            Organisation.objects.values_list(
                "pk",
                "township_id",
                "community_id",
                "org_type",
                "registered_on",
                "dissolved_on",
                "credit_code_valid",
                "sector",
                "decoupling",
                "decoupled_on",
                named=True,
            )
        ),
    )


def legal_span(org) -> list:
    """The days the organisation is a legal SO: [registered on, dissolved on)."""
    if org.org_type not in LEGAL_TYPES or org.registered_on is None:
        return []
    if org.dissolved_on is not None and org.dissolved_on <= org.registered_on:
        return []
    return [(org.registered_on, org.dissolved_on)]


def _legal(window: Window) -> list:
    """(organisation, its legal span) of every organisation that is ever a legal SO."""
    return window.once(
        "legal",
        lambda: [(o, span) for o in _organisations(window) for span in legal_span(o)],
    )


def _scope(queryset: QuerySet, township_id, field_name: str = "township_id") -> QuerySet:
    return queryset if township_id is None else queryset.filter(**{field_name: township_id})


def legal(as_of: datetime.date, township_id=None) -> QuerySet:
    return _scope(Organisation.objects.legal_on(as_of), township_id)


def _share_items(window: Window, meets: Callable[[object], list]) -> list:
    """Items of a share over legal SOs: each counts in the denominator while legal and in the
    numerator while also meeting the condition (``meets(org)``: the intervals it does)."""
    items = []
    for org, span in _legal(window):
        items.append((org.township_id, span[0], span[1], {"n": 1}))
        for a, b in intersect([span], meets(org)):
            items.append((org.township_id, a, b, {"m": 1}))
    return items


def _legal_share_series(window: Window, meets: Callable[[object], list]) -> dict:
    return steps_of(sweep(_share_items(window, meets), window), lambda c, d, s: _share_point(c))


ALWAYS = [(datetime.date.min, None)]
NEVER: list = []

# --- R1 ---------------------------------------------------------------------------------------

legal_count = register(
    Metric(
        "legal_count",
        _("Legal social organisations, by type"),
        reads=REGISTER,
        record_kind="organisation",
        counts_records="numerator",
    )
)


def _type_labels(by_type: dict) -> dict:
    return {str(OrgType(t).label): by_type.get(t, 0) for t in LEGAL_TYPES}


@legal_count.direct
def _legal_count(target, *, as_of, township_id=None, year=None):
    qs = legal(as_of, township_id)
    by_type = qs.aggregate(**{t.value: Count("pk", filter=Q(org_type=t)) for t in LEGAL_TYPES})
    total = Decimal(sum(by_type.values()))
    return MetricResult(
        value=total,
        numerator=total,
        records=qs,
        record_kind="organisation",
        extras={"by_type": _type_labels(by_type)},
    )


def _legal_totals(window: Window) -> dict:
    items = [(org.township_id, a, b, {"n": 1, org.org_type: 1}) for org, (a, b) in _legal(window)]
    return sweep(items, window)


@legal_count.swept
def _legal_count_series(target, window):
    def point(counts, day, scope):
        return _count_point(counts, by_type=_type_labels(counts))

    return steps_of(_legal_totals(window), point)


# --- R2 ---------------------------------------------------------------------------------------

legal_per_10k = register(
    Metric(
        "legal_per_10k",
        _("Legal social organisations per 10,000 people"),
        reads=(Organisation, Population),
        record_kind="organisation",
        params=(
            Param(
                "population_kind",
                _("population"),
                choices=tuple(Population.Kind.values),
                required=False,
            ),
        ),
        district_only=True,
        counts_records="numerator",
    )
)


def _populations() -> dict[str, list[tuple[int, int, str]]]:
    """(year, count, source) per kind, newest year first."""
    out: dict = {}
    for p in Population.objects.order_by("-year"):
        out.setdefault(p.kind, []).append((p.year, p.count, p.source))
    return out


def _population_of(populations: dict, kind: str, year: int):
    """The newest figure of the kind for the year or an earlier one."""
    return next((p for p in populations.get(kind, []) if p[0] <= year), None)


def _per_10k_point(count, year, kind, populations) -> Point:
    pop = _population_of(populations, kind, year)
    if pop is None:
        return Point(None, extras={"note": str(_("No population figure for this year."))})
    per = Decimal(pop[1]) / Decimal(10000)
    extras = {"population": pop[1], "population_year": pop[0], "population_source": pop[2]}
    resident = _population_of(populations, Population.Kind.RESIDENT, year)
    if resident:
        extras["resident_population"] = resident[1]
        extras["per_10k_resident"] = round(Decimal(count) * 10000 / resident[1], 2)
    return Point(Decimal(count) / per, Decimal(count), per, extras)


def _population_kind(target) -> str:
    return target.params.get("population_kind", Population.Kind.REGISTERED)


@legal_per_10k.direct
def _legal_per_10k(target, *, as_of, township_id=None, year=None):
    qs = legal(as_of)
    point = _per_10k_point(qs.count(), as_of.year, _population_kind(target), _populations())
    return MetricResult(
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
        records=qs,
        record_kind="organisation",
        extras=point.extras,
    )


@legal_per_10k.swept
def _legal_per_10k_series(target, window):
    populations = _populations()
    kind = _population_kind(target)
    new_years = [_year_start(y) for y in range(window.first.year + 1, window.last.year + 1)]
    items = [(org.township_id, a, b, {"n": 1}) for org, (a, b) in _legal(window)]
    totals = sweep(items, window, breaks=new_years)
    return _district_only(
        steps_of(
            totals, lambda c, day, s: _per_10k_point(c.get("n", 0), day.year, kind, populations)
        )
    )


# --- R3 ---------------------------------------------------------------------------------------

legal_growth = register(
    Metric(
        "legal_growth",
        _("Growth of legal social organisations over the year"),
        reads=REGISTER,
        record_kind="organisation",
        counts_records="numerator",
    )
)


def _active_q(day: datetime.date) -> Q:
    return Q(registered_on__lte=day) & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day))


def _growth_point(now, then, start, end) -> Point:
    extras = {"from": start - ONE_DAY, "to": end}
    if not then:
        return Point(None, Decimal(now), Decimal(then), extras)
    return Point((Decimal(now) / Decimal(then) - 1) * HUNDRED, Decimal(now), Decimal(then), extras)


@legal_growth.direct
def _legal_growth(target, *, as_of, township_id=None, year=None):
    """Legal SOs at the end of year Y (or on the as-of date while it runs) against the end of
    Y−1."""
    year = year or as_of.year
    start, end = _year_start(year), min(as_of, _year_end(year))
    qs = _scope(Organisation.objects.legal(), township_id)
    counts = qs.aggregate(
        now=Count("pk", filter=_active_q(end)), then=Count("pk", filter=_active_q(start - ONE_DAY))
    )
    point = _growth_point(counts["now"], counts["then"], start, end)
    return MetricResult(
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
        records=_meets(qs.filter(_active_q(end)), Q(registered_on__gte=start)),
        record_kind="organisation",
        extras=point.extras,
    )


@legal_growth.swept
def _legal_growth_series(target, window):
    def one_year(year, w):
        start = _year_start(year)
        before = start - ONE_DAY
        then: dict = defaultdict(int)
        for org, (a, b) in _legal(window):
            if a <= before and (b is None or b > before):
                then[org.township_id] += 1
                then[None] += 1
        w = _window_from(w, start, _year_end(year))
        items = [(org.township_id, a, b, {"n": 1}) for org, (a, b) in _legal(window)]

        def point(counts, day, scope):
            return _growth_point(counts.get("n", 0), then[scope], start, day)

        return steps_of(sweep(items, w), point, year=year)

    return _per_year(target, window, one_year)


# --- R4 ---------------------------------------------------------------------------------------

credit_code_valid = register(
    Metric(
        "credit_code_valid",
        _("Legal social organisations with a valid unified social credit code"),
        reads=REGISTER,
        record_kind="organisation",
    )
)


@credit_code_valid.direct
def _credit_code_valid(target, *, as_of, township_id=None, year=None):
    """The check characters cannot be computed in SQL, so each organisation stores the answer
    (``Organisation.credit_code_valid``, kept on every save and bulk write)."""
    return _share(legal(as_of, township_id), Q(credit_code_valid=True), kind="organisation")


@credit_code_valid.swept
def _credit_code_valid_series(target, window):
    return _legal_share_series(window, lambda o: ALWAYS if o.credit_code_valid else NEVER)


# --- Annual reports: R5, R6 and the annual facts ------------------------------------------------

PASSED = (AnnualReport.Result.QUALIFIED, AnnualReport.Result.BASICALLY)


def _obliged_q(year: int) -> Q:
    """Legal SOs obliged to report for the year: legal on 31 December and registered before
    1 January."""
    last_day = _year_end(year)
    return Q(org_type__in=LEGAL_TYPES, registered_on__lt=_year_start(year)) & (
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=last_day)
    )


def obliged_to_report(year: int, township_id=None) -> QuerySet:
    return _scope(Organisation.objects.filter(_obliged_q(year)), township_id)


def _is_obliged(org, year: int) -> bool:
    return (
        org.org_type in LEGAL_TYPES
        and org.registered_on is not None
        and org.registered_on < _year_start(year)
        and (org.dissolved_on is None or org.dissolved_on > _year_end(year))
    )


def _reports(window: Window) -> list:
    return window.once(
        "reports",
        lambda: list(
            AnnualReport.objects.filter(submitted_on__isnull=False)
            .values_list("organisation_id", "year", "submitted_on", *AnnualReport.FACTS, named=True)
            .order_by("organisation_id", "year")
        ),
    )


def due_date(target, year: int) -> datetime.date:
    """The day a plan year's figure of an annual-report target falls due (``params.year_closes``
    "MM-DD" of the next year); other annual targets start counting on 1 January."""
    closes = target.params.get("year_closes")
    if not closes:
        return _year_start(year)
    month, day = (int(p) for p in closes.split("-"))
    return datetime.date(year + 1, month, day)


annual_report_pass_rate = register(
    Metric(
        "annual_report_pass_rate",
        _("Annual inspection pass rate"),
        reads=(Organisation, AnnualReport),
        record_kind="organisation",
        params=(Param("year_closes", _("due on (MM-DD of the next year)"), choices=("05-31",)),),
    )
)


def last_due_report_year(as_of: datetime.date) -> int:
    """The newest report year whose reports were due (31 May of the next year) by the date."""
    year = as_of.year - 1
    return year if annual_report_due_date(year) <= as_of else year - 1


@annual_report_pass_rate.direct
def _pass_rate(target, *, as_of, township_id=None, year=None):
    """Reports of year Y graded qualified or basically qualified, submitted by the date, ÷ the
    organisations obliged to report for Y. Before the year's reports are due: not yet due."""
    year = year or last_due_report_year(as_of)
    if as_of < due_date(target, year):
        return no_data(NOT_DUE, year=year)
    passed = AnnualReport.objects.filter(
        organisation=OuterRef("pk"), year=year, submitted_on__lte=as_of, result__in=PASSED
    )
    return _share(
        obliged_to_report(year, township_id), Q(Exists(passed)), kind="organisation", year=year
    )


@annual_report_pass_rate.swept
def _pass_rate_series(target, window):
    def one_year(year, w):
        due = due_date(target, year)
        if due > window.last:
            return {}
        obliged = {o.pk: o for o in _organisations(window) if _is_obliged(o, year)}
        items = [(o.township_id, due, None, {"n": 1}) for o in obliged.values()]
        items += [
            (obliged[r.organisation_id].township_id, r.submitted_on, None, {"m": 1})
            for r in _reports(window)
            if r.year == year and r.result in PASSED and r.organisation_id in obliged
        ]
        totals = sweep(items, _window_from(w, due))
        return steps_of(totals, lambda c, d, s: _share_point(c, year=year), year=year)

    return _per_year(target, window, one_year)


annual_report_on_time = register(
    Metric(
        "annual_report_on_time",
        _("Annual reports submitted by the deadline"),
        reads=(Organisation, AnnualReport),
        record_kind="organisation",
    )
)


@annual_report_on_time.direct
def _on_time(target, *, as_of, township_id=None, year=None):
    """Reports of the newest year already due, submitted by its deadline (31 May of the next
    year), ÷ the organisations obliged to report for it."""
    year = year or last_due_report_year(as_of)
    due = annual_report_due_date(year)
    on_time = AnnualReport.objects.filter(
        organisation=OuterRef("pk"), year=year, submitted_on__lte=due
    )
    return _share(
        obliged_to_report(year, township_id), Q(Exists(on_time)), kind="organisation", year=year
    )


@annual_report_on_time.swept
def _on_time_series(target, window):
    """A step on each deadline: from then on the figure is that year's."""
    organisations = {o.pk: o for o in _organisations(window)}
    first_year = last_due_report_year(window.first)
    last_year = last_due_report_year(window.last)
    out: dict = {(scope, 0): [] for scope in [None, *window.townships]}
    for year in range(first_year, last_year + 1):
        start = max(window.first, annual_report_due_date(year))
        counts: dict = {scope: {"n": 0, "m": 0} for scope, _y in out}
        on_time = {
            r.organisation_id
            for r in _reports(window)
            if r.year == year and r.submitted_on <= annual_report_due_date(year)
        }
        for org in organisations.values():
            if _is_obliged(org, year):
                for scope in (None, org.township_id):
                    counts.setdefault(scope, {"n": 0, "m": 0})
                    counts[scope]["n"] += 1
                    counts[scope]["m"] += org.pk in on_time
        for scope, c in counts.items():
            out.setdefault((scope, 0), []).append((start, _share_point(c, year=year)))
    return out


def newest_report_id(as_of: datetime.date) -> Subquery:
    """The organisation's newest annual report of a year up to the as-of date's, submitted by
    then (the "annual facts" of ``docs/targets.md``)."""
    return Subquery(
        AnnualReport.objects.filter(
            organisation=OuterRef("pk"), year__lte=as_of.year, submitted_on__lte=as_of
        )
        .order_by("-year")
        .values("pk")[:1]
    )


ANNUAL_FACT_CONDITIONS = {
    "charter_party_clause": Q(charter_party_clause=True),
    "has_finance_system": Q(has_finance_system=True),
    "independent_office_20": Q(office_independent=True, office_area__gte=20),
    "full_time_staff_1": Q(full_time_staff__gte=1),
    # S2: an assembly (social groups) or a council (foundations, 民非), plus a supervisor.
    "governance": Q(has_supervisor=True)
    & (
        Q(organisation__org_type=OrgType.SOCIAL_GROUP, has_assembly=True)
        | (~Q(organisation__org_type=OrgType.SOCIAL_GROUP) & Q(has_council=True))
    ),
}

# The same conditions on a report row of the sweep (and the organisation's type).
ANNUAL_FACT_TESTS = {
    "charter_party_clause": lambda r, t: r.charter_party_clause,
    "has_finance_system": lambda r, t: r.has_finance_system,
    "independent_office_20": lambda r, t: r.office_independent and (r.office_area or 0) >= 20,
    "full_time_staff_1": lambda r, t: (r.full_time_staff or 0) >= 1,
    "governance": lambda r, t: (
        r.has_supervisor and (r.has_assembly if t == OrgType.SOCIAL_GROUP else r.has_council)
    ),
}


def _newest_reports(window: Window) -> dict[int, list]:
    """Per organisation, (from, until, report) over which each report is its newest of a year up
    to the date's, submitted by then: a report counts from the later of its submission and 1
    January of its year, and stays the newest until a report of a later year counts."""

    def load():
        by_org: dict = defaultdict(list)
        for r in _reports(window):
            by_org[r.organisation_id].append((max(r.submitted_on, _year_start(r.year)), r))
        out = {}
        for org_id, reports in by_org.items():
            changes, newest = [], None
            for day, r in sorted(reports, key=lambda x: (x[0], x[1].year)):
                if newest is None or r.year > newest.year:
                    newest = r
                    if changes and changes[-1][0] == day:
                        changes[-1] = (day, r)
                    else:
                        changes.append((day, r))
            out[org_id] = segments(changes)
        return out

    return window.once("newest_reports", load)


def _fact_intervals(window: Window, test: Callable) -> Callable[[object], list]:
    newest = _newest_reports(window)

    def meets(org):
        return [(a, b) for a, b, r in newest.get(org.pk, ()) if test(r, org.org_type)]

    return meets


annual_fact_share = register(
    Metric(
        "annual_fact_share",
        _("Legal social organisations whose newest annual report shows a fact"),
        reads=(Organisation, AnnualReport),
        record_kind="organisation",
        params=(Param("condition", _("condition"), choices=tuple(ANNUAL_FACT_CONDITIONS)),),
    )
)


def _fact_share_direct(condition: str, as_of, township_id) -> MetricResult:
    """Legal SOs whose newest report meets the condition ÷ legal SOs; no report = not met."""
    qs = legal(as_of, township_id).annotate(report_id=newest_report_id(as_of))
    meets = Exists(
        AnnualReport.objects.filter(ANNUAL_FACT_CONDITIONS[condition], pk=OuterRef("report_id"))
    )
    return _share(qs, Q(meets), kind="organisation")


@annual_fact_share.direct
def _annual_fact_share(target, *, as_of, township_id=None, year=None):
    return _fact_share_direct(target.params["condition"], as_of, township_id)


@annual_fact_share.swept
def _annual_fact_share_series(target, window):
    test = ANNUAL_FACT_TESTS[target.params["condition"]]
    return _legal_share_series(window, _fact_intervals(window, test))


governance_share = register(
    Metric(
        "governance_share",
        _("Legal social organisations with complete internal governance"),
        reads=(Organisation, AnnualReport),
        record_kind="organisation",
    )
)


@governance_share.direct
def _governance_share(target, *, as_of, township_id=None, year=None):
    return _fact_share_direct("governance", as_of, township_id)


@governance_share.swept
def _governance_share_series(target, window):
    return _legal_share_series(window, _fact_intervals(window, ANNUAL_FACT_TESTS["governance"]))


# --- S1 ---------------------------------------------------------------------------------------

decoupling_share = register(
    Metric(
        "decoupling_share",
        _("Industry associations and chambers decoupled from administrative bodies"),
        reads=REGISTER,
        record_kind="organisation",
    )
)


@decoupling_share.direct
def _decoupling_share(target, *, as_of, township_id=None, year=None):
    """Legal SOs of the sector 行业协会商会 with ties to an administrative body (decoupling pending
    or completed); those decoupled by the date count. Other sectors never count."""
    qs = legal(as_of, township_id).filter(sector=Sector.INDUSTRY_ASSOCIATION).exclude(decoupling="")
    return _share(
        qs, Q(decoupling=Decoupling.COMPLETED, decoupled_on__lte=as_of), kind="organisation"
    )


@decoupling_share.swept
def _decoupling_share_series(target, window):
    items = []
    for org, span in _legal(window):
        if org.sector != Sector.INDUSTRY_ASSOCIATION or not org.decoupling:
            continue
        items.append((org.township_id, span[0], span[1], {"n": 1}))
        if org.decoupling == Decoupling.COMPLETED and org.decoupled_on:
            for a, b in clip([span], org.decoupled_on, None):
                items.append((org.township_id, a, b, {"m": 1}))
    return steps_of(sweep(items, window), lambda c, d, s: _share_point(c))


# --- S5 ---------------------------------------------------------------------------------------

evaluated_share = register(
    Metric(
        "evaluated_share",
        _("Legal social organisations ever evaluated"),
        reads=(Organisation, Evaluation),
        record_kind="organisation",
    )
)


def _published_evaluations():
    """Published evaluations with the day they became known: published on (the evaluation
    date for evaluations recorded as published without one)."""
    return Evaluation.objects.filter(state=Evaluation.State.PUBLISHED).annotate(
        known_on=Coalesce("published_on", "evaluated_on")
    )


@evaluated_share.direct
def _evaluated_share(target, *, as_of, township_id=None, year=None):
    """Legal SOs with at least one evaluation published on or before the date."""
    evaluated = _published_evaluations().filter(known_on__lte=as_of).values("organisation")
    return _share(legal(as_of, township_id), Q(pk__in=evaluated), kind="organisation")


@evaluated_share.swept
def _evaluated_share_series(target, window):
    first: dict = {}
    for org_id, day in _published_evaluations().values_list("organisation_id", "known_on"):
        if org_id not in first or day < first[org_id]:
            first[org_id] = day
    return _legal_share_series(window, lambda o: [(first[o.pk], None)] if o.pk in first else NEVER)


# --- Party building: P3, P4, P6 -----------------------------------------------------------------


def _party_spans(window: Window, kinds) -> dict[int, list]:
    """Per organisation, the days it is covered by a party organisation of these kinds."""

    def load():
        spans: dict = defaultdict(list)
        through = PartyOrganisation.organisations.through.objects.filter(
            partyorganisation__kind__in=kinds
        ).values_list(
            "organisation_id",
            "partyorganisation__established_on",
            "partyorganisation__dissolved_on",
        )
        for org_id, start, end in through:
            if end is None or end > start:
                spans[org_id].append((start, end))
        return {org_id: union(s) for org_id, s in spans.items()}

    return window.once(("party", tuple(kinds)), load)


def _active_party_orgs(as_of):
    return PartyOrganisation.objects.filter(established_on__lte=as_of).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=as_of)
    )


party_own_where_required = register(
    Metric(
        "party_own_where_required",
        _("Own party organisation where at least the minimum of party members"),
        reads=(Organisation, AnnualReport, PartyOrganisation),
        record_kind="organisation",
        params=(Param("min_members", _("minimum formal party members")),),
    )
)


@party_own_where_required.direct
def _party_own(target, *, as_of, township_id=None, year=None):
    """Legal SOs with at least ``min_members`` formal party members (newest annual report)
    having their own (单独组建) party organisation ÷ legal SOs with that many members."""
    minimum = int(target.params["min_members"])
    qs = legal(as_of, township_id).annotate(report_id=newest_report_id(as_of))
    required = qs.filter(
        Exists(AnnualReport.objects.filter(pk=OuterRef("report_id"), party_members__gte=minimum))
    )
    own = _active_party_orgs(as_of).filter(kind=PartyOrganisation.Kind.SINGLE)
    return _share(required, Q(pk__in=own.values("organisations")), kind="organisation")


@party_own_where_required.swept
def _party_own_series(target, window):
    minimum = int(target.params["min_members"])
    required = _fact_intervals(window, lambda r, t: (r.party_members or 0) >= minimum)
    own = _party_spans(window, [PartyOrganisation.Kind.SINGLE])
    items = []
    for org, span in _legal(window):
        needed = intersect([span], required(org))
        for a, b in needed:
            items.append((org.township_id, a, b, {"n": 1}))
        for a, b in intersect(needed, own.get(org.pk, [])):
            items.append((org.township_id, a, b, {"m": 1}))
    return steps_of(sweep(items, window), lambda c, d, s: _share_point(c))


party_coverage = register(
    Metric(
        "party_coverage",
        _("Party organisation and work coverage"),
        reads=(Organisation, PartyOrganisation, InstructorAssignment),
        record_kind="organisation",
    )
)


@party_coverage.direct
def _party_coverage(target, *, as_of, township_id=None, year=None):
    """Legal SOs covered by an own or joint party organisation or an assigned party-building
    instructor (until the last day of the assignment) ÷ legal SOs."""
    covered = _active_party_orgs(as_of).values("organisations")
    instructed = (
        InstructorAssignment.objects.filter(starts_on__lte=as_of)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
        .values("organisation")
    )
    return _share(
        legal(as_of, township_id), Q(pk__in=covered) | Q(pk__in=instructed), kind="organisation"
    )


@party_coverage.swept
def _party_coverage_series(target, window):
    party = _party_spans(window, list(PartyOrganisation.Kind.values))
    instructed: dict = defaultdict(list)
    for org_id, start, end in InstructorAssignment.objects.values_list(
        "organisation_id", "starts_on", "ends_on"
    ):
        instructed[org_id].append((start, None if end is None else end + ONE_DAY))
    return _legal_share_series(
        window, lambda o: union(party.get(o.pk, []) + instructed.get(o.pk, []))
    )


demonstration_sites = register(
    Metric(
        "demonstration_sites",
        _("Party-building demonstration sites named for the year"),
        reads=(DemonstrationSite, Organisation),
        record_kind="site",
        counts_records="numerator",
    )
)


@demonstration_sites.direct
def _sites(target, *, as_of, township_id=None, year=None):
    """Sites named for year Y, counted from the day they were named (also when that is in the
    next year), in the township of their organisation."""
    year = year or as_of.year
    qs = DemonstrationSite.objects.filter(year=year, named_on__lte=as_of)
    return _count(_scope(qs, township_id, "organisation__township_id"), "site", year=year)


def _named_per_year(target, window, rows) -> dict:
    """Series of a count per year of records (year, township id, known on)."""

    def one_year(year, w):
        items = [(t, day, None, {"n": 1}) for y, t, day in rows if y == year]
        return steps_of(sweep(items, w), lambda c, d, s: _count_point(c, year=year), year=year)

    return _per_year(target, window, one_year)


@demonstration_sites.swept
def _sites_series(target, window):
    rows = DemonstrationSite.objects.values_list("year", "organisation__township_id", "named_on")
    return _named_per_year(target, window, list(rows))


# --- Trainings: P7, P8, S7, S9 ------------------------------------------------------------------

TRAINING_PARAMS = (
    Param("kind", _("kind of training"), choices=tuple(Training.Kind.values)),
    Param("level", _("level"), choices=("district", "township"), required=False),
)

trainings_held = register(
    Metric(
        "trainings_held",
        _("Trainings of a kind held in the year"),
        reads=(Training,),
        record_kind="training",
        params=TRAINING_PARAMS,
        district_only=True,
        counts_records="numerator",
    )
)


def _trainings(params, year=None) -> QuerySet:
    qs = Training.objects.filter(kind=params["kind"])
    if level := params.get("level"):
        qs = qs.filter(level=level)
    return qs if year is None else qs.filter(held_on__year=year)


@trainings_held.direct
def _trainings_held(target, *, as_of, township_id=None, year=None):
    year = year or as_of.year
    return _count(_trainings(target.params, year).filter(held_on__lte=as_of), "training", year=year)


@trainings_held.swept
def _trainings_series(target, window):
    rows = [(d.year, None, d) for d in _trainings(target.params).values_list("held_on", flat=True)]
    return _district_only(_named_per_year(target, window, rows))


study_class_enrolment = register(
    Metric(
        "study_class_enrolment",
        _("Representatives enrolled in the year's study class"),
        reads=(Training, TrainingEnrolment, Organisation),
        record_kind="enrolment",
        params=TRAINING_PARAMS,
        counts_records="numerator",
    )
)


@study_class_enrolment.direct
def _enrolment(target, *, as_of, township_id=None, year=None):
    """Enrolments in the year's trainings of the kind held by the date, in the township of the
    representative's organisation."""
    year = year or as_of.year
    trainings = _trainings(target.params, year).filter(held_on__lte=as_of)
    qs = TrainingEnrolment.objects.filter(training__in=trainings).select_related(
        "training", "organisation"
    )
    return _count(_scope(qs, township_id, "organisation__township_id"), "enrolment", year=year)


@study_class_enrolment.swept
def _enrolment_series(target, window):
    rows = [
        (day.year, township, day)
        for township, day in TrainingEnrolment.objects.filter(
            training__in=_trainings(target.params)
        ).values_list("organisation__township_id", "training__held_on")
    ]
    return _named_per_year(target, window, rows)


# --- Procurement: C8, C9, B1, B2, B3 -------------------------------------------------------------

purchase_growth = register(
    Metric(
        "purchase_growth",
        _("Growth of purchase-of-service contracts over the year before"),
        reads=(Project,),
        record_kind="project",
        counts_records="",
    )
)


def _purchases(township_id=None) -> QuerySet:
    return _scope(Project.objects.filter(channel=Project.Channel.PURCHASE), township_id)


def same_day_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


TEN_THOUSAND = Decimal(10000)


def _growth_of_amounts(amount, count, previous) -> Point:
    """The growth of the contract amounts (kept in yuan), which are shown in 万元."""
    amount, previous = Decimal(amount) / TEN_THOUSAND, Decimal(previous) / TEN_THOUSAND
    extras = {"amount": round(amount, 2), "count": count, "previous_amount": round(previous, 2)}
    if not previous:
        return Point(None, amount, previous, extras)
    return Point((amount / previous - 1) * HUNDRED, amount, previous, extras)


@purchase_growth.direct
def _purchase_growth(target, *, as_of, township_id=None, year=None):
    """Contract amount (万元) of purchase-of-service projects signed in year Y up to the date
    against the same days of Y−1 (whole years once Y is over); counted for the township that
    buys."""
    year = year or as_of.year
    start, end = _year_start(year), min(as_of, _year_end(year))
    prev_start, prev_end = _year_start(year - 1), same_day_year_before(end)
    qs = _purchases(township_id)
    this_year = Q(signed_on__gte=start, signed_on__lte=end)
    totals = qs.aggregate(
        amount=Sum("contract_amount", filter=this_year),
        count=Count("pk", filter=this_year),
        previous=Sum(
            "contract_amount", filter=Q(signed_on__gte=prev_start, signed_on__lte=prev_end)
        ),
    )
    point = _growth_of_amounts(
        totals["amount"] or Decimal(0), totals["count"], totals["previous"] or Decimal(0)
    )
    return MetricResult(
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
        records=qs.filter(this_year).select_related("township"),
        record_kind="project",
        extras=point.extras,
    )


def _comparable_from(signed_on: datetime.date) -> datetime.date:
    """The first day of the next year whose same day a year before reaches ``signed_on``."""
    if signed_on.month == 2 and signed_on.day == 29:
        return datetime.date(signed_on.year + 1, 3, 1)
    return signed_on.replace(year=signed_on.year + 1)


@purchase_growth.swept
def _purchase_growth_series(target, window):
    rows = list(
        _purchases()
        .filter(signed_on__isnull=False)
        .values_list("township_id", "signed_on", "contract_amount")
    )

    def one_year(year, w):
        items = []
        for township, day, amount in rows:
            if day.year == year:
                items.append((township, day, None, {"amount": amount or 0, "count": 1}))
            elif day.year == year - 1:
                items.append((township, _comparable_from(day), None, {"previous": amount or 0}))
        totals = sweep(items, _window_from(w, w.first, _year_end(year)))

        def point(c, day, scope):
            return _growth_of_amounts(c.get("amount", 0), c.get("count", 0), c.get("previous", 0))

        return steps_of(totals, point, year=year)

    return _per_year(target, window, one_year)


purchase_evaluated_share = register(
    Metric(
        "purchase_evaluated_share",
        _("Finished purchase-of-service projects with a third-party evaluation"),
        reads=(Project, PerformanceEvaluation),
        record_kind="project",
    )
)


@purchase_evaluated_share.direct
def _purchase_evaluated(target, *, as_of, township_id=None, year=None):
    finished = _purchases(township_id).filter(state=Project.State.FINISHED, finished_on__lte=as_of)
    evaluated = PerformanceEvaluation.objects.filter(
        project=OuterRef("pk"), evaluated_on__lte=as_of
    )
    return _share(finished, Q(Exists(evaluated)), kind="project")


@purchase_evaluated_share.swept
def _purchase_evaluated_series(target, window):
    items = []
    for township, finished_on, evaluated_on in (
        _purchases()
        .filter(state=Project.State.FINISHED, finished_on__isnull=False)
        .values_list("township_id", "finished_on", "performance_evaluation__evaluated_on")
    ):
        items.append((township, finished_on, None, {"n": 1}))
        if evaluated_on is not None:
            items.append((township, max(finished_on, evaluated_on), None, {"m": 1}))
    return steps_of(sweep(items, window), lambda c, d, s: _share_point(c))


awards_named = register(
    Metric(
        "awards_named",
        _("Awards named for the year"),
        reads=(Award, Organisation),
        record_kind="award",
        params=(Param("kind", _("kind of award"), choices=tuple(Award.Kind.values)),),
        counts_records="numerator",
    )
)


@awards_named.direct
def _awards(target, *, as_of, township_id=None, year=None):
    """Awards for year Y, from the day they were named (also in the next year), in the township
    of the organisation named."""
    year = year or as_of.year
    qs = Award.objects.filter(kind=target.params["kind"], year=year, named_on__lte=as_of)
    return _count(_scope(qs, township_id, "organisation__township_id"), "award", year=year)


@awards_named.swept
def _awards_series(target, window):
    rows = Award.objects.filter(kind=target.params["kind"]).values_list(
        "year", "organisation__township_id", "named_on"
    )
    return _named_per_year(target, window, list(rows))


BRAND_LEVEL = (Param("level", _("level"), choices=tuple(Brand.Level.values)),)


def _brands(level):
    """Brands of the level with the township they count for: a township-level brand counts for
    the township that named it; a district-level brand where its organisation is (else the
    township it names)."""
    if level == Brand.Level.TOWNSHIP:
        counts_for = Coalesce("township_id", "organisation__township_id")
    else:
        counts_for = Coalesce("organisation__township_id", "township_id")
    return Brand.objects.filter(level=level).annotate(counts_for=counts_for)


brands_named = register(
    Metric(
        "brands_named",
        _("Public-welfare brands named"),
        reads=(Brand, Organisation),
        record_kind="brand",
        params=BRAND_LEVEL,
        counts_records="numerator",
    )
)


@brands_named.direct
def _brands_named(target, *, as_of, township_id=None, year=None):
    qs = _brands(target.params["level"]).filter(named_on__lte=as_of)
    return _count(_scope(qs, township_id, "counts_for"), "brand")


@brands_named.swept
def _brands_named_series(target, window):
    items = [
        (township, day, None, {"n": 1})
        for township, day in _brands(target.params["level"]).values_list("counts_for", "named_on")
    ]
    return steps_of(sweep(items, window), lambda c, d, s: _count_point(c))


townships_with_brand = register(
    Metric(
        "townships_with_brand",
        _("Townships with at least one brand"),
        reads=(Brand, Organisation, Township),
        record_kind="township",
        params=BRAND_LEVEL,
    )
)


@townships_with_brand.direct
def _townships_with_brand(target, *, as_of, township_id=None, year=None):
    brands = _brands(target.params["level"]).filter(named_on__lte=as_of, counts_for=OuterRef("pk"))
    return _share(
        _scope(Township.objects.all(), township_id, "pk"), Q(Exists(brands)), kind="township"
    )


@townships_with_brand.swept
def _townships_with_brand_series(target, window):
    first: dict = {}
    for township, day in _brands(target.params["level"]).values_list("counts_for", "named_on"):
        if township is not None and (township not in first or day < first[township]):
            first[township] = day
    items = []
    for township in Township.objects.values_list("pk", flat=True):
        items.append((township, window.first, None, {"n": 1}))
        if township in first:
            items.append((township, first[township], None, {"m": 1}))
    return steps_of(sweep(items, window), lambda c, d, s: _share_point(c))


# --- Communities: C1, C2 ------------------------------------------------------------------------

community_so_coverage = register(
    Metric(
        "community_so_coverage",
        _("Villages or communities with at least the minimum of community organisations"),
        reads=(Organisation, Community),
        record_kind="community",
        params=(
            Param("kind", _("kind of community"), choices=tuple(Community.Kind.values)),
            Param("min", _("minimum")),
        ),
    )
)


def _coverage_point(counts: dict, communities: list, minimum: int) -> Point:
    if not communities:
        return Point(None)
    values = [counts.get(pk, 0) for pk in communities]
    met = sum(1 for v in values if v >= minimum)
    return Point(
        percent(met, len(values)),
        Decimal(met),
        Decimal(len(values)),
        {"min": min(values), "mean": round(Decimal(sum(values)) / len(values), 1)},
    )


@community_so_coverage.direct
def _community_coverage(target, *, as_of, township_id=None, year=None):
    """Communities of a kind with at least ``min`` community SOs (any organisation attached to
    the community and active on the date) ÷ communities of that kind; also min and mean."""
    kind, minimum = target.params["kind"], int(target.params["min"])
    communities = _scope(Community.objects.filter(kind=kind), township_id)
    active = Q(organisations__registered_on__lte=as_of) & (
        Q(organisations__dissolved_on__isnull=True) | Q(organisations__dissolved_on__gt=as_of)
    )
    annotated = communities.annotate(so_count=Count("organisations", filter=active))
    counts = dict(annotated.values_list("pk", "so_count"))
    point = _coverage_point(counts, list(counts), minimum)
    met = [pk for pk, n in counts.items() if n >= minimum]
    return MetricResult(
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
        records=_meets(annotated.select_related("township"), Q(pk__in=met)),
        record_kind="community",
        extras=point.extras,
    )


@community_so_coverage.swept
def _community_coverage_series(target, window):
    kind, minimum = target.params["kind"], int(target.params["min"])
    communities = dict(Community.objects.filter(kind=kind).values_list("pk", "township_id"))
    in_scope: dict = defaultdict(list)
    for pk, township in communities.items():
        in_scope[None].append(pk)
        in_scope[township].append(pk)
    items = []
    for org in _organisations(window):
        township = communities.get(org.community_id)
        if township is None or org.registered_on is None:
            continue
        if org.dissolved_on is None or org.dissolved_on > org.registered_on:
            items.append((township, org.registered_on, org.dissolved_on, {org.community_id: 1}))

    def point(counts, day, scope):
        return _coverage_point(counts, in_scope.get(scope, []), minimum)

    return steps_of(sweep(items, window), point)


# --- Township figures: P2, C3, C4, C5, C6 -------------------------------------------------------

QUARTERLY = (QuarterlyReport, QuarterlyValue, Community, Township)
NO_REPORT = _("No accepted township report yet.")


def _township_values(target, as_of, township_id, *, per_community: bool):
    """The townships with an accepted report by the date, and (township, community, value) of
    the indicator in each township's newest one."""
    code = target.params["indicator"]
    reports = QuarterlyReport.objects.filter(plan=target.plan_id).newest_accepted_on(as_of)
    reports = _scope(reports, township_id)
    values = QuarterlyValue.objects.filter(
        report__in=reports, indicator__code=code, community__isnull=not per_community
    )
    reporting = set(reports.values_list("township_id", flat=True))
    return reporting, list(values.values_list("report__township_id", "community_id", "value"))


def _flagged(queryset: QuerySet, ids) -> QuerySet:
    return _meets(queryset, Q(pk__in=list(ids)))


def _township_reports(window: Window, plan_id) -> dict[int, list]:
    """Per township, (from, until, report id) over which each accepted report is its newest:
    a report counts from the later of its quarter's end and the day it was accepted."""

    def load():
        tz = timezone.get_current_timezone()
        by_township: dict = defaultdict(list)
        accepted = QuarterlyReport.objects.filter(plan=plan_id).accepted()
        for pk, township, year, quarter, reviewed_at in accepted.values_list(
            "pk", "township_id", "year", "quarter", "reviewed_at"
        ):
            end = quarter_end(year, quarter)
            accepted_on = timezone.localtime(reviewed_at, tz).date() if reviewed_at else end
            by_township[township].append((max(end, accepted_on), (year, quarter), pk))
        out = {}
        for township, reports in by_township.items():
            changes, newest = [], None
            for day, period, pk in sorted(reports):
                if newest is None or period > newest:
                    newest = period
                    if changes and changes[-1][0] == day:
                        changes[-1] = (day, pk)
                    else:
                        changes.append((day, pk))
            out[township] = segments(changes)
        return out

    return window.once(("township_reports", plan_id), load)


def _indicator_values(code: str) -> dict[int, list]:
    """(community id or None, value) of the indicator, per report."""
    out: dict = defaultdict(list)
    for report, community, value in QuarterlyValue.objects.filter(
        indicator__code=code, report__state=QuarterlyReport.State.ACCEPTED
    ).values_list("report_id", "community_id", "value"):
        out[report].append((community, value))
    return out


def _township_items(target, window, weigh: Callable[[int, list], dict]) -> list:
    """Items of a township-figure metric: while a report is a township's newest, it reports
    (``r``) and counts ``weigh(township, values of its report)``."""
    values = _indicator_values(target.params["indicator"])
    items = []
    for township, spans in _township_reports(window, target.plan_id).items():
        for a, b, report in spans:
            items.append((township, a, b, {"r": 1, **weigh(township, values.get(report, []))}))
    return items


def _reported(point: Callable) -> Callable:
    """No data where no township of the scope has an accepted report yet."""

    def wrapped(counts, day, scope):
        if not counts.get("r"):
            return Point(None, extras={"note": str(NO_REPORT)})
        return point(counts, day, scope)

    return wrapped


township_fact_share = register(
    Metric(
        "township_fact_share",
        _("Townships whose newest accepted report says yes"),
        reads=QUARTERLY,
        record_kind="township",
        params=(Param("indicator", _("figure of the quarterly report"), kind="code"),),
    )
)


@township_fact_share.direct
def _township_fact_share(target, *, as_of, township_id=None, year=None):
    reporting, rows = _township_values(target, as_of, township_id, per_community=False)
    if not reporting:
        return no_data(NO_REPORT)
    met = {t for t, _c, v in rows if v == "1"}
    townships = _scope(Township.objects.all(), township_id, "pk")
    total = townships.count()
    return MetricResult(
        value=percent(len(met), total),
        numerator=Decimal(len(met)),
        denominator=Decimal(total),
        records=_flagged(townships, met),
        record_kind="township",
    )


def _all_townships_items(window) -> list:
    return [
        (t, window.first, None, {"n": 1}) for t in Township.objects.values_list("pk", flat=True)
    ]


@township_fact_share.swept
def _township_fact_share_series(target, window):
    def weigh(township, values):
        return {"m": int(any(c is None and v == "1" for c, v in values))}

    items = _township_items(target, window, weigh) + _all_townships_items(window)
    return steps_of(sweep(items, window), _reported(lambda c, d, s: _share_point(c)))


township_fact_count = register(
    Metric(
        "township_fact_count",
        _("Townships reporting at least the minimum of a figure"),
        reads=QUARTERLY,
        record_kind="township",
        params=(
            Param("indicator", _("figure of the quarterly report"), kind="code"),
            Param("min", _("minimum"), required=False),
        ),
        counts_records="",
    )
)


def _at_least(value: str, minimum: int) -> bool:
    return value.isdigit() and int(value) >= minimum


@township_fact_count.direct
def _township_fact_count(target, *, as_of, township_id=None, year=None):
    reporting, rows = _township_values(target, as_of, township_id, per_community=False)
    if not reporting:
        return no_data(NO_REPORT)
    minimum = int(target.params.get("min", 1))
    met = {t for t, _c, v in rows if _at_least(v, minimum)}
    n = Decimal(len(met))
    return MetricResult(
        value=n,
        numerator=n,
        records=_flagged(_scope(Township.objects.all(), township_id, "pk"), met),
        record_kind="township",
    )


@township_fact_count.swept
def _township_fact_count_series(target, window):
    minimum = int(target.params.get("min", 1))

    def weigh(township, values):
        return {"m": int(any(c is None and _at_least(v, minimum) for c, v in values))}

    def point(c, day, scope):
        m = Decimal(c.get("m", 0))
        return Point(m, m)

    return steps_of(sweep(_township_items(target, window, weigh), window), _reported(point))


community_fact_share = register(
    Metric(
        "community_fact_share",
        _("Villages or communities reported as having something"),
        reads=QUARTERLY,
        record_kind="community",
        params=(
            Param("indicator", _("figure of the quarterly report"), kind="code"),
            Param(
                "kind", _("kind of community"), choices=tuple(Community.Kind.values), required=False
            ),
        ),
    )
)


def _communities(target, township_id=None) -> QuerySet:
    qs = Community.objects.select_related("township")
    if kind := target.params.get("kind"):
        qs = qs.filter(kind=kind)
    return _scope(qs, township_id)


@community_fact_share.direct
def _community_fact_share(target, *, as_of, township_id=None, year=None):
    """Communities (of a kind) reported as having something ÷ all of them; communities of
    townships without an accepted report count as not having it."""
    reporting, rows = _township_values(target, as_of, township_id, per_community=True)
    if not reporting:
        return no_data(NO_REPORT)
    communities = _communities(target, township_id)
    ids = set(communities.values_list("pk", flat=True))
    if not ids:
        return no_data()
    met = {c for _t, c, v in rows if v == "1" and c in ids}
    return MetricResult(
        value=percent(len(met), len(ids)),
        numerator=Decimal(len(met)),
        denominator=Decimal(len(ids)),
        records=_flagged(communities, met),
        record_kind="community",
    )


@community_fact_share.swept
def _community_fact_share_series(target, window):
    ids = dict(_communities(target).values_list("pk", "township_id"))

    def weigh(township, values):
        return {"m": sum(1 for c, v in values if v == "1" and ids.get(c) == township)}

    items = _township_items(target, window, weigh)
    items += [(township, window.first, None, {"n": 1}) for township in ids.values()]

    def point(c, day, scope):
        return _share_point(c) if c.get("n") else Point(None)

    return steps_of(sweep(items, window), _reported(point))


# --- Milestones: P1, C7, G1, S8 -----------------------------------------------------------------

milestones = register(
    Metric(
        "milestones",
        _("Milestones completed"),
        reads=(Milestone, Project),
        record_kind="milestone",
        params=(Param("extras", _("also shows"), choices=("personnel_share",), required=False),),
        district_only=True,
    )
)


def _milestone_point(counts: dict, extras_wanted: bool) -> Point:
    n, m = counts.get("n", 0), counts.get("m", 0)
    extras = {}
    if extras_wanted:
        k = counts.get("share_n", 0)
        extras["mean_personnel_share"] = (
            None if not k else round(Decimal(counts["share_sum"]) / k, 1)
        )
    if not n:
        return Point(None, extras=extras)
    return Point(Decimal(m), Decimal(m), Decimal(n), extras)


def _social_work_projects():
    return Project.objects.filter(is_social_work=True, personnel_share__isnull=False)


@milestones.direct
def _milestones(target, *, as_of, township_id=None, year=None):
    """Milestones dated on or before the date, out of the target's milestones; S8 also shows the
    mean personnel-cost share of social-work service projects signed by then."""
    qs = Milestone.objects.filter(target=target)
    counts = qs.aggregate(n=Count("pk"), m=Count("pk", filter=Q(completed_on__lte=as_of)))
    wanted = target.params.get("extras") == "personnel_share"
    if wanted:
        shares = (
            _social_work_projects()
            .filter(signed_on__lte=as_of)
            .aggregate(share_sum=Sum("personnel_share"), share_n=Count("pk"))
        )
        counts.update(share_sum=shares["share_sum"] or 0, share_n=shares["share_n"])
    point = _milestone_point(counts, wanted)
    return MetricResult(
        value=point.value,
        numerator=point.numerator,
        denominator=point.denominator,
        records=_meets(qs, Q(completed_on__lte=as_of)),
        record_kind="milestone",
        extras=point.extras,
    )


@milestones.swept
def _milestones_series(target, window):
    items = []
    for completed_on in Milestone.objects.filter(target=target).values_list(
        "completed_on", flat=True
    ):
        items.append((None, window.first, None, {"n": 1}))
        if completed_on is not None:
            items.append((None, completed_on, None, {"m": 1}))
    wanted = target.params.get("extras") == "personnel_share"
    if wanted:
        for day, share in (
            _social_work_projects()
            .filter(signed_on__isnull=False)
            .values_list("signed_on", "personnel_share")
        ):
            items.append((None, day, None, {"share_sum": share, "share_n": 1}))
    totals = sweep(items, window)
    return _district_only(steps_of(totals, lambda c, d, s: _milestone_point(c, wanted)))


# --- Supervision: G2, G3 ------------------------------------------------------------------------

inspections_published = register(
    Metric(
        "inspections_published",
        _("Spot checks of the year whose result was published"),
        reads=(Inspection, Organisation),
        record_kind="inspection",
    )
)


@inspections_published.direct
def _inspections(target, *, as_of, township_id=None, year=None):
    """Spot checks carried out in year Y by the date; those whose result was published by the
    date count (a result published in January counts for the year before)."""
    year = year or as_of.year
    qs = Inspection.objects.filter(inspected_on__year=year, inspected_on__lte=as_of)
    qs = _scope(qs, township_id, "organisation__township_id").select_related("organisation")
    result = _share(qs, Q(published_on__lte=as_of), kind="inspection", year=year)
    result.extras["inspections"] = int(result.denominator or 0)
    return result


@inspections_published.swept
def _inspections_series(target, window):
    rows = list(
        Inspection.objects.values_list("organisation__township_id", "inspected_on", "published_on")
    )

    def one_year(year, w):
        items = []
        for township, inspected_on, published_on in rows:
            if inspected_on.year != year:
                continue
            items.append((township, inspected_on, None, {"n": 1}))
            if published_on is not None:
                items.append((township, max(inspected_on, published_on), None, {"m": 1}))

        def point(c, d, s):
            return _share_point(c, year=year, inspections=c.get("n", 0))

        return steps_of(sweep(items, w), point, year=year)

    return _per_year(target, window, one_year)


list_counts = register(
    Metric(
        "list_counts",
        _("Organisations on the abnormal list or the serious-violation list"),
        reads=(ListEntry, Organisation),
        record_kind="list_entry",
        counts_records="",
    )
)


def _list_extras(target, counts: dict, as_of) -> dict:
    years = [y for y in target.plan_years if y <= as_of.year]
    return {
        "by_list": {str(k.label): counts.get(k.value, 0) for k in ListEntry.Kind},
        "per_year": {
            y: (counts.get(f"listed_{y}", 0), counts.get(f"removed_{y}", 0)) for y in years
        },
    }


@list_counts.direct
def _list_counts(target, *, as_of, township_id=None, year=None):
    """Organisations on either list on the date; entries per list, and entries and removals per
    plan year, in the details."""
    entries = _scope(ListEntry.objects.all(), township_id, "organisation__township_id")
    current = entries.current_on(as_of)
    years = [y for y in target.plan_years if y <= as_of.year]
    counts = current.aggregate(
        organisations=Count("organisation", distinct=True),
        **{k.value: Count("pk", filter=Q(kind=k)) for k in ListEntry.Kind},
    )
    counts |= entries.aggregate(
        **{
            f"listed_{y}": Count("pk", filter=Q(listed_on__year=y, listed_on__lte=as_of))
            for y in years
        },
        **{
            f"removed_{y}": Count("pk", filter=Q(removed_on__year=y, removed_on__lte=as_of))
            for y in years
        },
    )
    n = Decimal(counts["organisations"])
    return MetricResult(
        value=n,
        numerator=n,
        records=current.select_related("organisation"),
        record_kind="list_entry",
        extras=_list_extras(target, counts, as_of),
    )


@list_counts.swept
def _list_counts_series(target, window):
    spans: dict = defaultdict(list)
    items = []
    years = set(target.plan_years)
    for org_id, township, kind, listed_on, removed_on in ListEntry.objects.values_list(
        "organisation_id", "organisation__township_id", "kind", "listed_on", "removed_on"
    ):
        spans[(org_id, township)].append((listed_on, removed_on))
        items.append((township, listed_on, removed_on, {kind: 1}))
        if listed_on.year in years:
            items.append((township, listed_on, None, {f"listed_{listed_on.year}": 1}))
        if removed_on is not None and removed_on.year in years:
            items.append((township, removed_on, None, {f"removed_{removed_on.year}": 1}))
    for (_org, township), entry_spans in spans.items():
        for a, b in union(entry_spans):
            items.append((township, a, b, {"n": 1}))
    new_years = [_year_start(y) for y in years]

    def point(c, day, scope):
        return _count_point(c, **_list_extras(target, c, day))

    return steps_of(sweep(items, window, breaks=new_years), point)
