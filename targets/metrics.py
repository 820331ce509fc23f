"""The metric functions that targets name (TARGETS.md, "The targets").

Each metric is registered under a name with ``@metric("name")`` and called as
``fn(target=..., as_of=date, township_id=None | id, year=None | Y)``; it returns a
:class:`MetricResult` with the value, its numerator and denominator, and the (lazy) queryset of the
records behind the number, annotated with ``meets`` where a record does or does not count.

Counting happens in the database (conditional counts, ``Exists``), so the number of queries does
not depend on the number of organisations. Metrics that read the evaluation, procurement or
party-building apps return "no data" until those models exist (``_model``), never a made-up
number.
"""

import contextlib
import contextvars
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    Exists,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from registry.models import (
    LEGAL_TYPES,
    AnnualReport,
    Community,
    Inspection,
    ListEntry,
    Organisation,
    OrgType,
    Township,
    annual_report_due_date,
)

from .models import Milestone, Population, QuarterlyReport, QuarterlyValue

HUNDRED = Decimal(100)


@dataclass
class MetricResult:
    """A computed number with what it is made of. ``value`` None means "no data"."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    records: QuerySet | None = None
    record_kind: str = ""
    extras: dict = field(default_factory=dict)
    note: str = ""
    # How many records ``records`` lists, when counted anyway (spares the page its COUNT).
    records_count: int | None = None

    @property
    def no_data(self) -> bool:
        return self.value is None


MetricFunction = Callable[..., MetricResult]
METRICS: dict[str, MetricFunction] = {}


def metric(name: str):
    """Register a metric function under the name targets use in ``Target.metric``."""

    def register(fn: MetricFunction) -> MetricFunction:
        METRICS[name] = fn
        return fn

    return register


# Annual metrics that can count all plan years at once: ``fn(target=..., windows=[(year,
# as_of), ...])`` leaves the counts in the ``sharing()`` memo, where the metric finds them.
PREFETCH: dict[str, Callable] = {}


def prefetch(target, windows) -> None:
    """Before an annual target's plan years are computed one by one (``windows``: the (year,
    as-of date) pairs it will be called with), let its metric count them all at once."""
    fn = PREFETCH.get(target.metric)
    if fn is not None and _SHARED.get() is not None and not _RECORDS_ONLY.get():
        fn(target=target, windows=windows)


def compute(target, *, as_of: datetime.date, township_id=None, year=None) -> MetricResult:
    """The target's metric as of the date, for the district or one township."""
    fn = METRICS[target.metric]
    return fn(target=target, as_of=as_of, township_id=township_id, year=year)


def no_data(note="", **extras) -> MetricResult:
    return MetricResult(value=None, note=str(note), extras=extras)


def _model(app_label: str, name: str):
    """A model of another app, or None while that app has not landed yet."""
    if not apps.is_installed(app_label):
        return None
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


NOT_YET = _("The data for this target is not in the portal yet.")
DISTRICT_ONLY = _("This target is kept for the district as a whole, not per township.")


def percent(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) * HUNDRED / Decimal(denominator)


# While set, share metrics build their record lists without counting them (the target page takes
# the numbers from the cached progress and only needs the records).
_RECORDS_ONLY = contextvars.ContextVar("targets_records_only", default=False)


@contextlib.contextmanager
def records_only():
    token = _RECORDS_ONLY.set(True)
    try:
        yield
    finally:
        _RECORDS_ONLY.reset(token)


# While ``sharing()`` is on, metrics that read the same rows for different targets keep what
# they counted here (one dashboard or target page), keyed by what they counted.
_SHARED = contextvars.ContextVar("targets_shared_counts", default=None)


@contextlib.contextmanager
def sharing():
    if _SHARED.get() is not None:  # already on: keep the outer memo
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _share_records(population: QuerySet, meets) -> QuerySet:
    return population.annotate(
        meets=Case(When(meets, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def _share(population: QuerySet, meets, *, kind: str) -> MetricResult:
    """Share (in %) of ``population`` meeting the condition, in one query; records annotated."""
    # Annotate first, then count on the annotation: a condition holding an OuterRef to another
    # annotation is not resolved inside an aggregate's filter.
    records = _share_records(population, meets)
    if _RECORDS_ONLY.get():
        return MetricResult(value=None, records=records, record_kind=kind)
    totals = records.aggregate(n=Count("pk"), m=Count("pk", filter=Q(meets=True)))
    if not totals["n"]:
        return MetricResult(
            value=None, numerator=0, denominator=0, records=records, record_kind=kind
        )
    return MetricResult(
        value=percent(totals["m"], totals["n"]),
        numerator=Decimal(totals["m"]),
        denominator=Decimal(totals["n"]),
        records=records,
        record_kind=kind,
        records_count=totals["n"],
    )


def _flagged(queryset: QuerySet, ids) -> QuerySet:
    """Annotate ``meets`` from a set of ids already known (small populations only)."""
    return queryset.annotate(
        meets=Case(
            When(pk__in=list(ids), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def _year_window(as_of: datetime.date, year: int | None) -> tuple[datetime.date, datetime.date]:
    """First day of the year and the last day counted: 31 Dec, or the as-of date if earlier."""
    year = year or as_of.year
    return datetime.date(year, 1, 1), min(as_of, datetime.date(year, 12, 31))


# ---------------------------------------------------------------------------------------------
# The register


def _organisations(township_id):
    qs = Organisation.objects.all()
    return qs if township_id is None else qs.filter(township_id=township_id)


def legal(as_of: datetime.date, township_id=None) -> QuerySet:
    return _organisations(township_id).legal_on(as_of)


@metric("legal_count")
def legal_count(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R1: legal SOs on the date, split by type."""
    qs = legal(as_of, township_id)
    if _RECORDS_ONLY.get():
        return MetricResult(value=None, records=qs, record_kind="organisation")
    if _SHARED.get() is not None:  # every township at once, shared with R2 and annual facts
        counts = _legal_counts(as_of)
        rows = counts.values() if township_id is None else [counts.get(township_id, {})]
        by_type = {t.value: sum(row.get(t.value, 0) for row in rows) for t in LEGAL_TYPES}
        total = sum(by_type.values())
    else:
        by_type = qs.aggregate(
            **{t.value: Count("pk", filter=Q(org_type=t)) for t in LEGAL_TYPES},
        )
        total = sum(by_type.values())
    return MetricResult(
        value=Decimal(total),
        numerator=Decimal(total),
        records=qs,
        record_kind="organisation",
        records_count=total,
        extras={"by_type": {str(OrgType(t).label): n for t, n in by_type.items()}},
    )


def _legal_counts(as_of: datetime.date) -> dict:
    """Legal SOs on the date per township and type, in one query (kept while ``sharing()`` is
    on: R1 district-wide and per township, R2 and the annual facts read it)."""
    memo = _SHARED.get()
    key = ("legal_counts", as_of)
    if memo is not None and key in memo:
        return memo[key]
    rows = (
        legal(as_of)
        .values("township_id")
        .annotate(**{t.value: Count("pk", filter=Q(org_type=t)) for t in LEGAL_TYPES})
        .order_by()
    )
    counts = {row.pop("township_id"): row for row in rows}
    if memo is not None:
        memo[key] = counts
    return counts


def population_of(year: int, kind: str) -> Population | None:
    """The newest figure of that kind for the year or an earlier one."""
    return Population.objects.filter(kind=kind, year__lte=year).order_by("-year").first()


@metric("legal_per_10k")
def legal_per_10k(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R2: legal SOs per 10,000 registered (户籍) people; the resident count is shown beside it."""
    if township_id is not None:
        return no_data(_("Population figures are kept for the district only."))
    kind = target.params.get("population_kind", Population.Kind.REGISTERED)
    pop = population_of(as_of.year, kind)
    if pop is None:
        return no_data(_("No population figure for this year."))
    qs = legal(as_of)
    if _SHARED.get() is not None:
        count = sum(sum(row.values()) for row in _legal_counts(as_of).values())
    else:
        count = qs.count()
    per = Decimal(pop.count) / Decimal(10000)
    resident = population_of(as_of.year, Population.Kind.RESIDENT)
    extras = {"population": pop.count, "population_year": pop.year, "population_source": pop.source}
    if resident:
        extras["resident_population"] = resident.count
        extras["per_10k_resident"] = round(Decimal(count) * 10000 / resident.count, 2)
    return MetricResult(
        value=Decimal(count) / per,
        numerator=Decimal(count),
        denominator=per,
        records=qs,
        record_kind="organisation",
        extras=extras,
    )


@metric("legal_growth")
def legal_growth(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R3: growth (%) of legal SOs from 31 Dec of the previous year to the end of year Y (or the
    as-of date while the year runs)."""
    start, end = _year_window(as_of, year)
    before = start - datetime.timedelta(days=1)
    qs = _organisations(township_id).legal()
    counts = qs.aggregate(
        now=Count("pk", filter=_active_q(end)), then=Count("pk", filter=_active_q(before))
    )
    if not counts["then"]:
        return no_data()
    return MetricResult(
        value=(Decimal(counts["now"]) / Decimal(counts["then"]) - 1) * HUNDRED,
        numerator=Decimal(counts["now"]),
        denominator=Decimal(counts["then"]),
        records=qs.active_on(end).filter(registered_on__gt=before),
        record_kind="organisation",
        extras={"from": before, "to": end},
    )


def _active_q(date: datetime.date) -> Q:
    return Q(registered_on__lte=date) & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=date))


@metric("credit_code_valid")
def credit_code_valid(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R4: legal SOs holding a valid GB 32100 code. The check characters cannot be computed in
    SQL, so each organisation stores the answer (``Organisation.credit_code_valid``, kept on
    save, by the bulk writes of imports and by its migration)."""
    return _share(legal(as_of, township_id), Q(credit_code_valid=True), kind="organisation")


def obliged_to_report(year: int, township_id=None) -> QuerySet:
    """Legal SOs obliged to report for the year: legal on 31 Dec and registered before 1 Jan."""
    return _organisations(township_id).filter(_obliged_q(year))


def _obliged_q(year: int, prefix: str = "") -> Q:
    """``obliged_to_report`` as a condition on Organisation (or on ``prefix``, a relation to it)."""
    last_day = datetime.date(year, 12, 31)
    return Q(
        **{
            f"{prefix}org_type__in": LEGAL_TYPES,
            f"{prefix}registered_on__lte": last_day,
            f"{prefix}registered_on__lt": datetime.date(year, 1, 1),
        }
    ) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": last_day})
    )


PASSED = (AnnualReport.Result.QUALIFIED, AnnualReport.Result.BASICALLY)


@metric("annual_report_pass_rate")
def annual_report_pass_rate(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R5: reports of year Y qualified or basically qualified ÷ organisations obliged to report."""
    year = year or as_of.year - 1
    memo = _SHARED.get()
    counts = None if memo is None else memo.get(("pass_rate", year, as_of))
    if counts is not None and not _RECORDS_ONLY.get():
        passed = AnnualReport.objects.filter(
            organisation=OuterRef("pk"), year=year, submitted_on__lte=as_of, result__in=PASSED
        )
        rows = counts.values() if township_id is None else [counts.get(township_id, (0, 0))]
        result = _share_result(
            _share_records(obliged_to_report(year, township_id), Q(Exists(passed))),
            sum(n for n, _m in rows),
            sum(m for _n, m in rows),
        )
    else:
        result = _report_share(
            obliged_to_report(year, township_id),
            year=year,
            submitted_on__lte=as_of,
            result__in=PASSED,
        )
    result.extras["year"] = year
    return result


def _prefetch_pass_rate(*, target, windows) -> None:
    """R5 of every plan year (``windows``: (year, as-of date) pairs) for every township in two
    queries instead of one per year (and township): the organisations obliged to report, and
    those with a passed report, each counted per township and year with conditional counts."""
    memo = _SHARED.get()
    windows = [(y, day) for y, day in windows if ("pass_rate", y, day) not in memo]
    if not windows:
        return
    obliged = Organisation.objects.values("township_id").annotate(
        **{f"n{y}_{i}": Count("pk", filter=_obliged_q(y)) for i, (y, _day) in enumerate(windows)}
    )
    passed = (
        AnnualReport.objects.filter(year__in={y for y, _day in windows}, result__in=PASSED)
        .values("organisation__township_id")
        .annotate(
            **{
                f"m{y}_{i}": Count(
                    "pk", filter=Q(year=y, submitted_on__lte=day) & _obliged_q(y, "organisation__")
                )
                for i, (y, day) in enumerate(windows)
            }
        )
    )
    obliged = {row.pop("township_id"): row for row in obliged.order_by()}
    passed = {row.pop("organisation__township_id"): row for row in passed.order_by()}
    for i, (y, day) in enumerate(windows):
        memo[("pass_rate", y, day)] = {
            township: (row[f"n{y}_{i}"], passed.get(township, {}).get(f"m{y}_{i}", 0))
            for township, row in obliged.items()
        }


PREFETCH["annual_report_pass_rate"] = _prefetch_pass_rate


def _share_result(records, n: int, m: int, kind: str = "organisation") -> MetricResult:
    """The share m ÷ n counted beforehand, as ``_share`` gives it (no data without any n)."""
    if not n:
        return MetricResult(
            value=None, numerator=0, denominator=0, records=records, record_kind=kind
        )
    return MetricResult(
        value=percent(m, n),
        numerator=Decimal(m),
        denominator=Decimal(n),
        records=records,
        record_kind=kind,
        records_count=n,
    )


def _report_share(obliged: QuerySet, **condition) -> MetricResult:
    """Share of the obliged organisations holding a report that meets ``condition`` (lookups on
    AnnualReport naming the year: one report per organisation and year)."""
    # Counted over one LEFT JOIN of the year's reports, which the database hashes, instead of
    # looking up each organisation's report with EXISTS (2x faster at 20,000 organisations);
    # the records say the same with EXISTS.
    report = AnnualReport.objects.filter(organisation=OuterRef("pk"), **condition)
    records = _share_records(obliged, Q(Exists(report)))
    if _RECORDS_ONLY.get():
        return MetricResult(value=None, records=records, record_kind="organisation")
    joined = Q(**{f"annual_reports__{lookup}": value for lookup, value in condition.items()})
    totals = obliged.annotate(
        report=FilteredRelation("annual_reports", condition=joined)
    ).aggregate(n=Count("pk"), m=Count("report"))
    if not totals["n"]:
        return MetricResult(
            value=None, numerator=0, denominator=0, records=records, record_kind="organisation"
        )
    return MetricResult(
        value=percent(totals["m"], totals["n"]),
        numerator=Decimal(totals["m"]),
        denominator=Decimal(totals["n"]),
        records=records,
        record_kind="organisation",
        records_count=totals["n"],
    )


def last_closed_report_year(as_of: datetime.date) -> int:
    """The newest report year whose deadline (31 May of the next year) is on or before the date."""
    year = as_of.year - 1
    return year if annual_report_due_date(year) <= as_of else year - 1


@metric("annual_report_on_time")
def annual_report_on_time(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """R6: reports of the newest closed year submitted by the deadline ÷ obliged organisations."""
    year = year or last_closed_report_year(as_of)
    due = min(annual_report_due_date(year), as_of)
    result = _report_share(obliged_to_report(year, township_id), year=year, submitted_on__lte=due)
    result.extras["year"] = year
    return result


def newest_report_id(as_of: datetime.date) -> Subquery:
    """The organisation's newest annual report of a year ≤ the as-of year, submitted by then
    (TARGETS.md, "annual facts")."""
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


def _annual_fact_share(condition: str, as_of, township_id) -> MetricResult:
    """Legal SOs whose newest report meets the condition ÷ legal SOs; no report = not met."""
    qs = legal(as_of, township_id).annotate(report_id=newest_report_id(as_of))
    meets = Exists(
        AnnualReport.objects.filter(ANNUAL_FACT_CONDITIONS[condition], pk=OuterRef("report_id"))
    )
    if _RECORDS_ONLY.get():
        return MetricResult(
            value=None, records=_share_records(qs, Q(meets)), record_kind="organisation"
        )
    return _annual_fact_result(_share_records(qs, Q(meets)), as_of, township_id, "legal", condition)


def _annual_fact_result(records, as_of, township_id, denominator: str, numerator: str):
    """The share ``numerator`` ÷ ``denominator`` of ``_annual_fact_counts``, as ``_share`` gives
    it (no data without a denominator)."""
    counts = _annual_fact_counts(as_of)
    rows = counts.values() if township_id is None else [counts.get(township_id, {})]
    n = sum(row.get(denominator, 0) for row in rows)
    m = sum(row.get(numerator, 0) for row in rows)
    if not n:
        return MetricResult(
            value=None, numerator=0, denominator=0, records=records, record_kind="organisation"
        )
    return MetricResult(
        value=percent(m, n),
        numerator=Decimal(m),
        denominator=Decimal(n),
        records=records,
        record_kind="organisation",
        records_count=n,
    )


def _annual_fact_counts(as_of: datetime.date) -> dict:
    """Per township: legal SOs on the date, and how many of them meet each annual-fact
    condition on their newest report, in two queries (shared by P3, P5, S2, S3, S4 and S6 while
    ``sharing()`` is on). The newest report is the one no later report of a year ≤ the as-of year,
    submitted by then, follows: an anti-join the database answers in one pass, instead of looking
    up each organisation's newest report."""
    memo = _SHARED.get()
    key = ("annual_facts", as_of)
    if memo is not None and key in memo:
        return memo[key]
    counts: dict = {}
    for township, by_type in _legal_counts(as_of).items():
        counts[township] = {"legal": sum(by_type.values())}
    later = AnnualReport.objects.filter(
        organisation=OuterRef("organisation"),
        year__gt=OuterRef("year"),
        year__lte=as_of.year,
        submitted_on__lte=as_of,
    )
    newest = (
        AnnualReport.objects.filter(
            year__lte=as_of.year,
            submitted_on__lte=as_of,
            organisation__org_type__in=LEGAL_TYPES,
            organisation__registered_on__lte=as_of,
        )
        .filter(
            Q(organisation__dissolved_on__isnull=True) | Q(organisation__dissolved_on__gt=as_of)
        )
        .filter(~Exists(later))
    )
    for row in (
        newest.values("organisation__township_id")
        .annotate(
            **{
                name: Count("pk", filter=condition)
                for name, condition in (ANNUAL_FACT_CONDITIONS | _party_conditions(as_of)).items()
            }
        )
        .order_by("organisation__township_id")
    ):
        township = row.pop("organisation__township_id")
        counts.setdefault(township, {"legal": 0}).update(row)
    if memo is not None:
        memo[key] = counts
    return counts


@metric("annual_fact_share")
def annual_fact_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P5, S3, S4, S6: a condition on the newest annual report."""
    return _annual_fact_share(target.params["condition"], as_of, township_id)


@metric("governance_share")
def governance_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """S2: complete internal governance (assembly or council, plus supervisor)."""
    return _annual_fact_share("governance", as_of, township_id)


@metric("decoupling_share")
def decoupling_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """S1: industry associations decoupled by the date ÷ those with ties to an administrative
    body (decoupling pending or completed)."""
    qs = legal(as_of, township_id).exclude(decoupling="")
    meets = Q(decoupling="completed", decoupled_on__lte=as_of)
    return _share(qs, meets, kind="organisation")


@metric("community_so_coverage")
def community_so_coverage(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """C1, C2: communities of a kind with at least ``min`` community SOs (any organisation attached
    to the community and active on the date) ÷ communities of that kind; also min and mean."""
    kind, minimum = target.params["kind"], int(target.params["min"])
    communities = Community.objects.filter(kind=kind)
    if township_id is not None:
        communities = communities.filter(township_id=township_id)
    active = Q(organisations__registered_on__lte=as_of) & (
        Q(organisations__dissolved_on__isnull=True) | Q(organisations__dissolved_on__gt=as_of)
    )
    annotated = communities.annotate(so_count=Count("organisations", filter=active))
    counts = dict(annotated.values_list("pk", "so_count"))  # one row per community, ~100
    if not counts:
        return no_data()
    met = {pk for pk, n in counts.items() if n >= minimum}
    values = list(counts.values())
    return MetricResult(
        value=percent(len(met), len(counts)),
        numerator=Decimal(len(met)),
        denominator=Decimal(len(counts)),
        records=_flagged(annotated.select_related("township"), met),
        record_kind="community",
        extras={"min": min(values), "mean": round(Decimal(sum(values)) / len(values), 1)},
    )


# ---------------------------------------------------------------------------------------------
# Township figures (quarterly reports)


def _township_values(code: str, as_of, township_id, *, per_community: bool) -> list:
    """(township, community, value) of the indicator in each township's newest accepted report
    of a quarter ending on or before the date."""
    reports = QuarterlyReport.objects.newest_accepted_on(as_of)
    if township_id is not None:
        reports = reports.filter(township_id=township_id)
    values = QuarterlyValue.objects.filter(
        report__in=reports, indicator__code=code, community__isnull=not per_community
    )
    report_townships = set(reports.values_list("township_id", flat=True))
    return report_townships, list(
        values.values_list("report__township_id", "community_id", "value")
    )


def _townships(township_id) -> QuerySet:
    qs = Township.objects.all()
    return qs if township_id is None else qs.filter(pk=township_id)


@metric("township_fact_share")
def township_fact_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P2, C5: townships whose newest accepted report says yes ÷ all townships."""
    reporting, rows = _township_values(
        target.params["indicator"], as_of, township_id, per_community=False
    )
    if not reporting:
        return no_data(_("No accepted township report yet."))
    met = {t for t, _c, v in rows if v == "1"}
    townships = _townships(township_id)
    total = townships.count()
    return MetricResult(
        value=percent(len(met), total),
        numerator=Decimal(len(met)),
        denominator=Decimal(total),
        records=_flagged(townships, met),
        record_kind="township",
    )


@metric("township_fact_count")
def township_fact_count(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """C4: townships reporting at least ``min`` of a figure (e.g. rural demonstration platforms)."""
    reporting, rows = _township_values(
        target.params["indicator"], as_of, township_id, per_community=False
    )
    if not reporting:
        return no_data(_("No accepted township report yet."))
    minimum = int(target.params.get("min", 1))
    met = {t for t, _c, v in rows if v.isdigit() and int(v) >= minimum}
    return MetricResult(
        value=Decimal(len(met)),
        numerator=Decimal(len(met)),
        records=_flagged(_townships(township_id), met),
        record_kind="township",
    )


@metric("community_fact_share")
def community_fact_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """C3, C6: communities (of a kind, if given) reported as having something ÷ all of them.
    Communities of townships without an accepted report count as not having it."""
    reporting, rows = _township_values(
        target.params["indicator"], as_of, township_id, per_community=True
    )
    if not reporting:
        return no_data(_("No accepted township report yet."))
    communities = Community.objects.select_related("township")
    if kind := target.params.get("kind"):
        communities = communities.filter(kind=kind)
    if township_id is not None:
        communities = communities.filter(township_id=township_id)
    ids = set(communities.values_list("pk", flat=True))
    met = {c for _t, c, v in rows if v == "1" and c in ids}
    if not ids:
        return no_data()
    return MetricResult(
        value=percent(len(met), len(ids)),
        numerator=Decimal(len(met)),
        denominator=Decimal(len(ids)),
        records=_flagged(communities, met),
        record_kind="community",
    )


# ---------------------------------------------------------------------------------------------
# Milestones


@metric("milestones")
def milestones(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P1, C7, G1, S8: milestones dated on or before the date, out of the target's milestones.
    S8 also shows the mean personnel-cost share of social-work service projects."""
    if township_id is not None:
        return no_data(DISTRICT_ONLY)
    qs = Milestone.objects.filter(target=target)
    counts = qs.aggregate(n=Count("pk"), done=Count("pk", filter=Q(completed_on__lte=as_of)))
    if not counts["n"]:
        return no_data()
    extras = {}
    if target.params.get("extras") == "personnel_share":
        extras.update(_personnel_share(as_of))
    return MetricResult(
        value=Decimal(counts["done"]),
        numerator=Decimal(counts["done"]),
        denominator=Decimal(counts["n"]),
        records=qs.annotate(
            meets=Case(
                When(completed_on__lte=as_of, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        ),
        record_kind="milestone",
        extras=extras,
    )


def _personnel_share(as_of) -> dict:
    Project = _model("procurement", "Project")
    if Project is None:
        return {}
    mean = Project.objects.filter(is_social_work=True, signed_on__lte=as_of).aggregate(
        mean=Avg("personnel_share")
    )["mean"]
    return {"mean_personnel_share": None if mean is None else round(Decimal(mean), 1)}


# ---------------------------------------------------------------------------------------------
# Party building


def _active_party_orgs(PartyOrganisation, as_of):
    return PartyOrganisation.objects.filter(established_on__lte=as_of).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=as_of)
    )


# P3 with this minimum (TARGETS.md) is counted in the annual-facts query (``_party_conditions``).
PARTY_MIN_MEMBERS = 3


def _with_own_party_organisation(PartyOrganisation, as_of) -> QuerySet:
    """Ids of the organisations with their own party organisation on the date (an uncorrelated
    subquery the database hashes once)."""
    return (
        _active_party_orgs(PartyOrganisation, as_of).filter(kind="single").values("organisations")
    )


def _party_conditions(as_of) -> dict:
    """P3's counts on the newest annual report: organisations with at least
    ``PARTY_MIN_MEMBERS`` formal party members, and those of them with their own party
    organisation on the date (none while the party-building app has not landed)."""
    PartyOrganisation = _model("partybuilding", "PartyOrganisation")
    if PartyOrganisation is None:
        return {}
    required = Q(party_members__gte=PARTY_MIN_MEMBERS)
    own = Q(organisation_id__in=_with_own_party_organisation(PartyOrganisation, as_of))
    return {"party_required": required, "party_own": required & own}


@metric("party_own_where_required")
def party_own_where_required(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P3: legal SOs with ≥ 3 formal party members (newest report) having their own (单独组建)
    party organisation ÷ legal SOs with ≥ 3 formal party members."""
    PartyOrganisation = _model("partybuilding", "PartyOrganisation")
    if PartyOrganisation is None:
        return no_data(NOT_YET)
    minimum = int(target.params.get("min_members", 3))
    qs = legal(as_of, township_id).annotate(report_id=newest_report_id(as_of))
    required = qs.filter(
        Exists(AnnualReport.objects.filter(pk=OuterRef("report_id"), party_members__gte=minimum))
    )
    own = Q(pk__in=_with_own_party_organisation(PartyOrganisation, as_of))
    if minimum == PARTY_MIN_MEMBERS and not _RECORDS_ONLY.get():
        records = _share_records(required, own)
        return _annual_fact_result(records, as_of, township_id, "party_required", "party_own")
    return _share(required, own, kind="organisation")


@metric("party_coverage")
def party_coverage(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P4: legal SOs covered by an own or joint party organisation or an assigned party-building
    instructor ÷ legal SOs."""
    PartyOrganisation = _model("partybuilding", "PartyOrganisation")
    Assignment = _model("partybuilding", "InstructorAssignment")
    if PartyOrganisation is None or Assignment is None:
        return no_data(NOT_YET)
    # Uncorrelated IN subqueries, which the database hashes once, rather than an EXISTS per
    # organisation (27 -> 10 ms at 20,000 organisations).
    covered = _active_party_orgs(PartyOrganisation, as_of).values("organisations")
    instructed = (
        Assignment.objects.filter(starts_on__lte=as_of)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
        .values("organisation")
    )
    return _share(
        legal(as_of, township_id), Q(pk__in=covered) | Q(pk__in=instructed), kind="organisation"
    )


def _count_result(qs, kind, **extras) -> MetricResult:
    n = qs.count()
    return MetricResult(
        value=Decimal(n), numerator=Decimal(n), records=qs, record_kind=kind, extras=extras
    )


@metric("demonstration_sites")
def demonstration_sites(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P6: party-building demonstration sites named in year Y (by the date)."""
    Site = _model("partybuilding", "DemonstrationSite")
    if Site is None:
        return no_data(NOT_YET)
    if township_id is not None:
        return no_data(DISTRICT_ONLY)
    start, end = _year_window(as_of, year)
    return _count_result(
        Site.objects.filter(year=start.year, named_on__lte=end), "site", year=start.year
    )


def _trainings(params, as_of, year):
    Training = _model("partybuilding", "Training")
    if Training is None:
        return None, None
    start, end = _year_window(as_of, year)
    qs = Training.objects.filter(kind=params["kind"], held_on__gte=start, held_on__lte=end)
    if level := params.get("level"):
        qs = qs.filter(level=level)
    return qs, start.year


@metric("trainings_held")
def trainings_held(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """P7, P8, S7: district trainings of a kind held in year Y (by the date)."""
    if township_id is not None:
        return no_data(DISTRICT_ONLY)
    qs, y = _trainings(target.params, as_of, year)
    if qs is None:
        return no_data(NOT_YET)
    return _count_result(qs, "training", year=y)


@metric("study_class_enrolment")
def study_class_enrolment(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """S9: representatives enrolled in the district study class of year Y."""
    Enrolment = _model("partybuilding", "TrainingEnrolment")
    if township_id is not None:
        return no_data(DISTRICT_ONLY)
    trainings, y = _trainings(target.params, as_of, year)
    if trainings is None or Enrolment is None:
        return no_data(NOT_YET)
    qs = Enrolment.objects.filter(training__in=trainings).select_related("training", "organisation")
    return _count_result(qs, "enrolment", year=y)


# ---------------------------------------------------------------------------------------------
# Evaluation


@metric("evaluated_share")
def evaluated_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """S5: legal SOs with at least one published evaluation dated on or before the date."""
    Evaluation = _model("evaluation", "Evaluation")
    if Evaluation is None:
        return no_data(NOT_YET)
    evaluations = Evaluation.objects.all()
    if hasattr(evaluations, "published_on_or_before"):
        evaluations = evaluations.published_on_or_before(as_of)
    else:
        evaluations = evaluations.filter(state="published", evaluated_on__lte=as_of)
    evaluated = evaluations.values("organisation")  # hashed once (see P4)
    return _share(legal(as_of, township_id), Q(pk__in=evaluated), kind="organisation")


# ---------------------------------------------------------------------------------------------
# Procurement: purchase of services, awards, brands


def _purchases(Project, township_id):
    qs = Project.objects.filter(channel="purchase")
    return qs if township_id is None else qs.filter(township_id=township_id)


@metric("purchase_growth")
def purchase_growth(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """C8: growth (%) of the contract amount of purchase-of-service projects signed in year Y over
    the same period of Y−1 (the whole year once it is over); amounts and counts in extras."""
    Project = _model("procurement", "Project")
    if Project is None:
        return no_data(NOT_YET)
    start, end = _year_window(as_of, year)
    prev_start, prev_end = start.replace(year=start.year - 1), _same_day_year_before(end)
    qs = _purchases(Project, township_id)
    totals = qs.aggregate(
        amount=Sum("contract_amount", filter=Q(signed_on__gte=start, signed_on__lte=end)),
        count=Count("pk", filter=Q(signed_on__gte=start, signed_on__lte=end)),
        previous=Sum(
            "contract_amount", filter=Q(signed_on__gte=prev_start, signed_on__lte=prev_end)
        ),
    )
    amount, previous = totals["amount"] or Decimal(0), totals["previous"]
    records = qs.filter(signed_on__gte=start, signed_on__lte=end).select_related("township")
    extras = {"amount": amount, "count": totals["count"], "previous_amount": previous or 0}
    if not previous:
        return MetricResult(value=None, records=records, record_kind="project", extras=extras)
    return MetricResult(
        value=(Decimal(amount) / Decimal(previous) - 1) * HUNDRED,
        numerator=Decimal(amount),
        denominator=Decimal(previous),
        records=records,
        record_kind="project",
        extras=extras,
    )


def _same_day_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def purchase_spending(as_of: datetime.date, township_id=None) -> Decimal | None:
    """Contract amount of purchase-of-service projects signed this year up to the date (the
    dashboard's headline); None while procurement has not landed."""
    Project = _model("procurement", "Project")
    if Project is None:
        return None
    start, end = _year_window(as_of, None)
    return _purchases(Project, township_id).filter(
        signed_on__gte=start, signed_on__lte=end
    ).aggregate(s=Sum("contract_amount"))["s"] or Decimal(0)


@metric("purchase_evaluated_share")
def purchase_evaluated_share(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """C9: finished purchase-of-service projects with a third-party performance evaluation."""
    Project = _model("procurement", "Project")
    Performance = _model("procurement", "PerformanceEvaluation")
    if Project is None or Performance is None:
        return no_data(NOT_YET)
    finished = _purchases(Project, township_id).filter(state="finished", finished_on__lte=as_of)
    evaluated = Performance.objects.filter(project=OuterRef("pk"), evaluated_on__lte=as_of)
    return _share(finished, Q(Exists(evaluated)), kind="project")


@metric("awards_named")
def awards_named(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """B1: excellent public-welfare teams named in year Y (by the date)."""
    Award = _model("procurement", "Award")
    if Award is None:
        return no_data(NOT_YET)
    start, end = _year_window(as_of, year)
    qs = Award.objects.filter(kind=target.params["kind"], year=start.year, named_on__lte=end)
    if township_id is not None:  # by the township of the organisation named
        qs = qs.filter(organisation__township_id=township_id)
    return _count_result(qs, "award", year=start.year)


@metric("brands_named")
def brands_named(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """B2: brands of a level named by the date."""
    Brand = _model("procurement", "Brand")
    if Brand is None:
        return no_data(NOT_YET)
    qs = Brand.objects.filter(level=target.params["level"], named_on__lte=as_of)
    if township_id is not None:
        qs = qs.filter(township_id=township_id)
    return _count_result(qs, "brand")


@metric("townships_with_brand")
def townships_with_brand(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """B3: townships with at least one township-level brand named by the date ÷ all townships."""
    Brand = _model("procurement", "Brand")
    if Brand is None:
        return no_data(NOT_YET)
    brands = Brand.objects.filter(
        level=target.params["level"], named_on__lte=as_of, township=OuterRef("pk")
    )
    return _share(_townships(township_id), Q(Exists(brands)), kind="township")


# ---------------------------------------------------------------------------------------------
# Supervision


@metric("inspections_published")
def inspections_published(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """G2: spot checks of year Y (by the date) whose result was published by then."""
    start, end = _year_window(as_of, year)
    qs = Inspection.objects.filter(inspected_on__gte=start, inspected_on__lte=end)
    if township_id is not None:
        qs = qs.filter(organisation__township_id=township_id)
    result = _share(
        qs.select_related("organisation"), Q(published_on__lte=as_of), kind="inspection"
    )
    result.extras.update(year=start.year, inspections=int(result.denominator or 0))
    return result


@metric("list_counts")
def list_counts(*, target, as_of, township_id=None, year=None) -> MetricResult:
    """G3: organisations currently on the abnormal list or the blacklist; entries and removals
    per plan year in extras."""
    entries = ListEntry.objects.all()
    if township_id is not None:
        entries = entries.filter(organisation__township_id=township_id)
    current = entries.current_on(as_of)
    years = [y for y in target.plan_years if y <= as_of.year]
    totals = current.aggregate(
        organisations=Count("organisation", distinct=True),
        **{k.value: Count("pk", filter=Q(kind=k)) for k in ListEntry.Kind},
    )
    per_year = entries.aggregate(
        **{
            f"listed_{y}": Count("pk", filter=Q(listed_on__year=y, listed_on__lte=as_of))
            for y in years
        },
        **{
            f"removed_{y}": Count("pk", filter=Q(removed_on__year=y, removed_on__lte=as_of))
            for y in years
        },
    )
    n = totals.pop("organisations")
    return MetricResult(
        value=Decimal(n),
        numerator=Decimal(n),
        records=current.select_related("organisation"),
        record_kind="list_entry",
        extras={
            "by_list": {str(ListEntry.Kind(k).label): v for k, v in totals.items()},
            "per_year": {y: (per_year[f"listed_{y}"], per_year[f"removed_{y}"]) for y in years},
        },
    )
