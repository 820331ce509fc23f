"""Benchmark data of evaluations (``generate_bench_data``): each year 2016–2020 about 3 % of the
organisations registered two full years before are evaluated and the result published (a few of
2020's still in progress), with the 36 item scores adding up to the total. Written with
bulk_create in batches; no audit entries (not user changes)."""

import datetime
from decimal import Decimal

from django.db.models import Case, F, OuterRef, Subquery, Value, When

from registry.models import Organisation

from .demo import AGENCIES, BANDS, _band_for, _points
from .models import Evaluation, IndicatorSystem, Score, grade_for
from .services import valid_until_for

YEARS = range(2016, 2021)
SHARE = 0.03
BATCH = 2000
GRADE_WEIGHTS = {"5A": 10, "4A": 20, "3A": 40, "2A": 18, "1A": 8, "": 4}


def generate(*, rng, orgs: int):
    system = IndicatorSystem.objects.order_by("applies_from").first()
    if system is None:
        yield "evaluation: no indicator system loaded, no evaluations"
        return
    items = list(system.items.order_by("order"))
    thresholds = list(system.thresholds.all())
    bands = {grade: _band_for(grade, thresholds) for grade in BANDS}
    candidates = list(
        Organisation.objects.legal()
        .filter(org_type__in=system.org_types, name__startswith="基准测试")
        .values_list("pk", "registered_on", "dissolved_on")
    )
    evaluations, scores = [], []
    written = {"evaluations": 0, "scores": 0}

    def flush():
        Evaluation.objects.bulk_create(evaluations, batch_size=BATCH)
        Score.objects.bulk_create(
            [Score(evaluation=e, item_id=i, points=p) for e, points in scores for i, p in points],
            batch_size=BATCH * 5,
        )
        written["evaluations"] += len(evaluations)
        written["scores"] += sum(len(points) for _e, points in scores)
        evaluations.clear()
        scores.clear()

    grades, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    for pk, registered, dissolved in candidates:
        for year in YEARS:
            if registered > datetime.date(year - 2, 12, 31):
                continue
            if dissolved and dissolved <= datetime.date(year, 12, 31):
                continue
            if rng.random() >= SHARE:
                continue
            low, high = bands[rng.choices(grades, weights)[0]]
            total = rng.randint(low, high)
            evaluated_on = datetime.date(year, 8, 20) + datetime.timedelta(days=rng.randrange(60))
            confirmed_on = evaluated_on + datetime.timedelta(days=rng.randint(15, 30))
            notice_starts = confirmed_on + datetime.timedelta(days=rng.randint(1, 5))
            notice_ends = notice_starts + datetime.timedelta(days=6)
            published_on = notice_ends + datetime.timedelta(days=rng.randint(1, 10))
            in_progress = year == 2020 and rng.random() < 0.1
            grade = grade_for(Decimal(total), thresholds)
            evaluation = Evaluation(
                organisation_id=pk,
                system=system,
                year=year,
                agency=rng.choice(AGENCIES),
                evaluated_on=evaluated_on,
                state=Evaluation.State.SCORED if in_progress else Evaluation.State.PUBLISHED,
                total=Decimal(total),
                grade="" if in_progress else grade,
                confirmed_on=None if in_progress else confirmed_on,
                notice_starts_on=None if in_progress else notice_starts,
                notice_ends_on=None if in_progress else notice_ends,
                published_on=None if in_progress else published_on,
                valid_until=None
                if in_progress
                else valid_until_for(published_on, system.validity_years),
            )
            evaluations.append(evaluation)
            scores.append((evaluation, list(_points(rng, items, total).items())))
        if len(evaluations) >= BATCH:
            flush()
    flush()
    _refresh_grades()
    yield f"evaluation: {written['evaluations']} evaluations, {written['scores']} scores"


def _refresh_grades() -> None:
    """What ``services.organisation_refresh_grade`` writes, for every organisation at once:
    the grade and validity of its newest published evaluation."""
    newest = (
        Evaluation.objects.published()
        .filter(organisation_id=OuterRef("pk"))
        .order_by("-published_on", "-evaluated_on", "-id")
    )
    Organisation.objects.filter(evaluations__state=Evaluation.State.PUBLISHED).update(
        grade=Subquery(newest.values("grade")[:1]),
        grade_expires_on=Subquery(
            newest.annotate(
                expires=Case(When(grade="", then=Value(None)), default=F("valid_until"))
            ).values("expires")[:1]
        ),
    )
