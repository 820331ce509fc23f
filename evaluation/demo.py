"""The evaluation part of the demo district (``load_demo``), reproducible from ``ctx.rng``.

By 2017-12-31 exactly 165 legal organisations have a published evaluation, 23 at 5A, 28 at 4A and
63 at 3A, the rest 2A or 1A (the plan's section 一). Evaluations then carry on through 2020, about
fifty a year, mostly of organisations never evaluated before plus re-evaluations of grades that
expire, so that target S5 (≥ 80 % of legal SOs evaluated by 2020-12-31) shows a plausible shortfall;
a few 2020 evaluations are still in progress, one with an open review.

Every evaluation goes through ``services`` exactly as a user's would. Historical evaluations before
2018 are recorded on the oldest loaded system (the district had no earlier version in data).
"""

import datetime
from decimal import Decimal

from auditlog.context import disable_auditlog

from registry.models import Organisation
from zhenhai_so.models import User
from zhenhai_so.roles import Role

from . import services
from .models import Evaluation, IndicatorSystem

BY_END_2017 = 165
GRADES_BY_END_2017 = {"5A": 23, "4A": 28, "3A": 63, "2A": 35, "1A": 16}
# Organisations evaluated for the first time per year up to 2017 (they add up to 165).
FIRST_BEFORE_2018 = {2013: 20, 2014: 28, 2015: 35, 2016: 38, 2017: 44}
# From 2018: first evaluations and re-evaluations of grades that expire, per year.
FIRST_LATER = {2018: 48, 2019: 52, 2020: 46}
REEVALUATED_LATER = {2018: 10, 2019: 8, 2020: 6}
LATER_GRADE_WEIGHTS = {"5A": 10, "4A": 20, "3A": 40, "2A": 18, "1A": 8, "": 4}
# Totals drawn within the grade's band (thresholds 900/800/700/600/500 of the fixtures).
BANDS = {"5A": (900, 985), "4A": (800, 899), "3A": (700, 799), "2A": (600, 699), "1A": (500, 599)}
BANDS[""] = (420, 499)
AGENCIES = [
    "宁波市镇海区社会组织评估中心",
    "宁波市社会组织发展研究院",
    "浙江省社会组织评估研究中心宁波工作站",
]
IN_PROGRESS_2020 = ["draft", "draft", "scored", "scored", "confirmed", "notice", "review"]


def _band_for(grade, thresholds) -> tuple[int, int]:
    low, high = BANDS[grade]
    by_grade = {t.grade: int(t.min_total) for t in thresholds}
    if grade in by_grade:
        low = by_grade[grade]
        above = [int(t.min_total) for t in thresholds if t.min_total > by_grade[grade]]
        high = min(above) - 1 if above else high
    return low, high


def _points(rng, items, total: int) -> dict:
    """Whole points per item adding up to exactly ``total``, spread like a real score sheet:
    each item near the same share of its maximum, then nudged until the sum is right."""
    share = total / float(sum(i.max_points for i in items))
    points = {}
    for item in items:
        ratio = min(1.0, max(0.0, share + rng.uniform(-0.12, 0.12)))
        points[item.pk] = int(round(float(item.max_points) * ratio))
    diff = total - sum(points.values())
    while diff:
        item = rng.choice(items)
        current = points[item.pk]
        if diff > 0 and current < item.max_points:
            step = min(diff, int(item.max_points) - current, rng.randint(1, 3))
        elif diff < 0 and current > 0:
            step = -min(-diff, current, rng.randint(1, 3))
        else:
            continue
        points[item.pk] = current + step
        diff -= step
    return {pk: Decimal(p) for pk, p in points.items()}


def _date(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


class _Runner:
    def __init__(self, rng, system, actor, committee=None):
        self.rng = rng
        self.system = system
        self.items = list(system.items.order_by("order"))
        self.thresholds = list(system.thresholds.all())
        self.actor = actor
        # The one who scores may not confirm; without a second member of staff nobody is named.
        self.committee = committee

    def evaluate(self, organisation, year, grade, *, stop_at="published"):
        """One evaluation of the year, taken through the procedure up to ``stop_at``."""
        rng = self.rng
        evaluated_on = _date(rng, datetime.date(year, 8, 20), datetime.date(year, 10, 20))
        evaluation = services.evaluation_create(
            organisation=organisation,
            system=self.system,
            agency=rng.choice(AGENCIES),
            evaluated_on=evaluated_on,
            actor=self.actor,
            check_eligibility=False,  # past evaluations, judged eligible when they were made
        )
        low, high = _band_for(grade, self.thresholds)
        total = rng.randint(low, high)
        points = _points(rng, self.items, total)
        if stop_at == "draft":
            some = dict(list(points.items())[: rng.randint(5, 30)])
            services.evaluation_save_scores(evaluation=evaluation, points=some, actor=self.actor)
            return evaluation
        services.evaluation_save_scores(evaluation=evaluation, points=points, actor=self.actor)
        services.evaluation_mark_scored(evaluation=evaluation, actor=self.actor)
        if stop_at == "scored":
            return evaluation
        confirmed = evaluated_on + datetime.timedelta(days=rng.randint(15, 30))
        services.evaluation_confirm(
            evaluation=evaluation, confirmed_on=confirmed, actor=self.committee
        )
        if stop_at == "confirmed":
            return evaluation
        starts = confirmed + datetime.timedelta(days=rng.randint(1, 5))
        ends = starts + datetime.timedelta(days=6)
        services.evaluation_start_notice(
            evaluation=evaluation, starts_on=starts, ends_on=ends, actor=self.actor
        )
        if stop_at in ("notice", "review"):
            if stop_at == "review":
                services.review_request(
                    evaluation=evaluation,
                    requested_on=starts + datetime.timedelta(days=2),
                    reason="对“8.1 信息公开”评分有异议，已补充提交公开材料。",
                    actor=self.actor,
                )
            return evaluation
        services.evaluation_publish(
            evaluation=evaluation,
            published_on=ends + datetime.timedelta(days=rng.randint(1, 10)),
            actor=self.actor,
        )
        return evaluation


def _eligible(organisations, year: int) -> list:
    """Legal at the end of the year and registered two full years before it (an organisation
    is evaluated once it has been registered for two years, 《社会组织评估管理办法》 第十一条)."""
    end = datetime.date(year, 12, 31)
    return [
        o
        for o in organisations
        if o.registered_on <= datetime.date(year - 2, 12, 31)
        and (o.dissolved_on is None or o.dissolved_on > end)
    ]


def load(ctx) -> list[str]:
    # Demo history is not anybody's change: keep it out of the audit log (as the register's
    # bulk-created demo is).
    with disable_auditlog():
        return _load(ctx)


def _load(ctx) -> list[str]:
    if Evaluation.objects.exists():
        return ["evaluation: evaluations exist already, demo evaluations not loaded"]
    system = IndicatorSystem.objects.order_by("applies_from").first()
    if system is None:
        return ["evaluation: no indicator system loaded, demo evaluations not loaded"]
    rng = ctx.rng
    actor = User.objects.filter(username="staff").first()
    committee = (
        User.objects.filter(role=Role.BUREAU_STAFF).exclude(pk=getattr(actor, "pk", None)).first()
    )
    runner = _Runner(rng, system, actor, committee)
    organisations = list(
        Organisation.objects.legal().filter(org_type__in=system.org_types).order_by("pk")
    )
    evaluated: dict[int, int] = {}  # organisation id → year of its last published evaluation

    # Up to 2017: exactly 165 organisations, each evaluated once, with the plan's grades.
    grades = [g for g, n in GRADES_BY_END_2017.items() for _ in range(n)]
    rng.shuffle(grades)
    for year, wanted in FIRST_BEFORE_2018.items():
        pool = [o for o in _eligible(organisations, year) if o.pk not in evaluated]
        # Legal on 2017-12-31 too, so all 165 count at the end of 2017.
        pool = [
            o
            for o in pool
            if o.dissolved_on is None or o.dissolved_on > datetime.date(2017, 12, 31)
        ]
        for organisation in rng.sample(pool, min(wanted, len(pool))):
            if not grades:
                break
            runner.evaluate(organisation, year, grades.pop())
            evaluated[organisation.pk] = year
    early = len(evaluated)

    # 2018-2020: first evaluations and re-evaluations of expiring grades.
    later = 0
    weights = list(LATER_GRADE_WEIGHTS.values())
    for year in FIRST_LATER:
        pool = [o for o in _eligible(organisations, year) if o.pk not in evaluated]
        first = rng.sample(pool, min(FIRST_LATER[year], len(pool)))
        expiring = [  # graded four or more years ago: the grade runs out within a year
            o for o in _eligible(organisations, year) if year - evaluated.get(o.pk, year) >= 4
        ]
        again = rng.sample(expiring, min(REEVALUATED_LATER[year], len(expiring)))
        batch = first + again
        progress = IN_PROGRESS_2020[: len(batch)] if year == 2020 else []
        for index, organisation in enumerate(batch):
            grade = rng.choices(list(LATER_GRADE_WEIGHTS), weights)[0]
            stop_at = progress[index] if index < len(progress) else "published"
            runner.evaluate(organisation, year, grade, stop_at=stop_at)
            if stop_at == "published":
                evaluated[organisation.pk] = year
            later += 1
    return [
        f"evaluation: {early} organisations evaluated by 2017-12-31, {later} evaluations "
        f"2018-2020 ({Evaluation.objects.published().count()} published in all)"
    ]
