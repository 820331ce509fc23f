"""Benchmark data of projects (``generate_bench_data``): each year 2016–2020 one project per 40
organisations (500 a year at 20,000), undertaken by organisations registered before the year,
with the demo's channels, amounts and states, third-party evaluations on most finished purchase
projects and ten excellent teams a year. Written with bulk_create in batches; no audit entries."""

import datetime
from decimal import Decimal

from registry.models import Organisation

from .demo import AGENCIES, BUYERS, CHANNELS, TOPICS, _date, _money
from .models import Award, PerformanceEvaluation, Project

YEARS = range(2016, 2021)
PER_ORGANISATIONS = 40
BATCH = 2000


def generate(*, rng, orgs: int):
    organisations = list(
        Organisation.objects.legal()
        .filter(dissolved_on__isnull=True, name__startswith="基准测试")
        .order_by("pk")
        .values_list("pk", "name", "township_id", "registered_on")
    )
    if not organisations:
        yield "procurement: no organisations, no projects"
        return
    last_day = datetime.date(2020, 12, 31)
    start = Project.objects.count()
    projects = []
    weights = [c[1] for c in CHANNELS]
    for year in YEARS:
        candidates = [o for o in organisations if o[3] < datetime.date(year, 1, 1)] or organisations
        for _n in range(max(1, len(organisations) // PER_ORGANISATIONS)):
            channel, _share, (low, high) = rng.choices(CHANNELS, weights)[0]
            pk, name, township_id, _registered = rng.choice(candidates)
            topic, social = rng.choice(TOPICS)
            starts_on = _date(rng, datetime.date(year, 3, 1), datetime.date(year, 7, 1))
            ends_on = starts_on + datetime.timedelta(days=rng.choice((180, 270, 300, 364)))
            is_social_work = social and channel in ("purchase", "venture") and rng.random() < 0.7
            cap = 30 if year < 2019 else 60
            contract = _money(rng.uniform(low, high))
            project = Project(
                code=f"ZH-{year}-B{start + len(projects):06d}",  # unique on --only again
                channel=channel,
                name=f"{topic}项目（{name[-6:]}）",
                buyer=rng.choice(BUYERS) if channel == "purchase" else "区民政局",
                organisation_id=pk,
                township_id=township_id,
                year=year,
                budget=_money(contract * Decimal(rng.choice(("1", "1.05", "1.1")))),
                contract_amount=contract,
                signed_on=starts_on - datetime.timedelta(days=rng.randrange(3, 20)),
                personnel_share=Decimal(rng.randrange(cap // 2, cap + 1))
                if is_social_work
                else None,
                is_social_work=is_social_work,
                starts_on=starts_on,
                ends_on=ends_on,
            )
            roll = rng.random()
            if roll < 0.04:
                project.state = Project.State.TERMINATED
            elif ends_on <= last_day:
                project.state, project.finished_on = Project.State.FINISHED, ends_on
            elif roll < 0.6:
                project.state = Project.State.MIDTERM_REVIEWED
            else:
                project.state = Project.State.RUNNING
            projects.append(project)
    Project.objects.bulk_create(projects, batch_size=BATCH)
    evaluations = [
        PerformanceEvaluation(
            project=project,
            agency=rng.choice(AGENCIES),
            score=Decimal(rng.randrange(700, 980)) / 10,
            evaluated_on=project.finished_on + datetime.timedelta(days=rng.randrange(10, 45)),
        )
        for project in projects
        if project.state == Project.State.FINISHED
        and project.channel == "purchase"
        and rng.random() < 0.9
    ]
    PerformanceEvaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    awards = []
    for year in (2018, 2019, 2020):
        ventures = [p for p in projects if p.year == year and p.channel == "venture"]
        for n, project in enumerate(rng.sample(ventures, min(10, len(ventures))), start=1):
            awards.append(
                Award(
                    year=year,
                    organisation_id=project.organisation_id,
                    name=f"基准测试{year}优秀公益团队{n}（{project.code}）",
                    named_on=datetime.date(year, 12, 15),
                )
            )
    Award.objects.bulk_create(awards)
    yield (
        f"procurement: {len(projects)} projects, {len(evaluations)} performance evaluations, "
        f"{len(awards)} awards"
    )
