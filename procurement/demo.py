"""The procurement part of the demo district (``load_demo``), reproducible from ``ctx.rng``.

About 500 projects from 2014 to 2020 totalling close to ¥10 million (the plan's section 一 4:
"获得资金近千万元，累计实施500余个公益及民生服务项目"), purchase of services growing most years
with a dip in one, social-work projects whose personnel-cost share rises once the 60 % cap
applies, third-party evaluations on most (not all) finished purchase projects, guidance and
recommended catalogues, ten excellent teams a year from 2018 and public-welfare brands at district
level (five by 2020) and township level (six of the seven townships). Works with whatever
organisations the register holds; with none it adds nothing.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from registry.models import Organisation, Sector, Township

from .models import (
    Award,
    Brand,
    CatalogueItem,
    PerformanceEvaluation,
    Project,
    RecommendedEntry,
)

TOTAL_YUAN = Decimal("9800000")
PROJECTS_PER_YEAR = {2014: 44, 2015: 56, 2016: 64, 2017: 76, 2018: 80, 2019: 92, 2020: 88}
# Relative size of a year's purchase-of-service spending: growth, with 2020's dip (epidemic).
PURCHASE_GROWTH = {2014: 1.0, 2015: 1.15, 2016: 1.3, 2017: 1.5, 2018: 1.7, 2019: 1.95, 2020: 1.8}
CHANNELS = [
    (Project.Channel.PURCHASE, 0.38, (20000, 60000)),
    (Project.Channel.VENTURE, 0.37, (5000, 30000)),
    (Project.Channel.SUBSIDY, 0.15, (3000, 20000)),
    (Project.Channel.SOCIAL_SUPPORT, 0.10, (2000, 15000)),
]
BUYERS = [
    "区民政局",
    "区卫生健康局",
    "区教育局",
    "区人力资源和社会保障局",
    "区文化和广电旅游体育局",
    "区司法局",
    "团区委",
    "区妇联",
    "区残联",
    "区综合行政执法局",
]
TOPICS = [
    ("居家养老上门服务", True),
    ("困境儿童关爱", True),
    ("社区矫正帮扶", True),
    ("外来务工人员子女心理辅导", True),
    ("残疾人康复支持", True),
    ("社区邻里互助", False),
    ("垃圾分类宣传督导", False),
    ("青少年暑期托管", False),
    ("老年人防诈骗宣传", False),
    ("社区文化活动", False),
    ("志愿者能力培训", False),
    ("楼道自治", False),
    ("家庭教育指导", True),
    ("禁毒宣传", False),
    ("慈善助学", False),
]
CATALOGUE = [
    ("基本公共服务", "养老服务"),
    ("基本公共服务", "残疾人服务"),
    ("基本公共服务", "未成年人保护"),
    ("社会管理服务", "社区治理"),
    ("社会管理服务", "社区矫正"),
    ("社会管理服务", "禁毒服务"),
    ("行业管理与协调", "行业规范制定"),
    ("行业管理与协调", "行业调查统计"),
    ("技术性服务", "评估评审"),
    ("技术性服务", "培训服务"),
    ("政府履职辅助", "宣传服务"),
    ("政府履职辅助", "课题研究"),
]
AGENCIES = ["宁波市社会组织评估中心", "宁波市镇海区社会工作协会", "浙江省社会工作评估研究院"]


def _date(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("100"), rounding=ROUND_HALF_UP)


@transaction.atomic
def load(ctx) -> list[str]:
    if Project.objects.exists():
        return ["procurement: projects exist already, demo not loaded"]
    rng = ctx.rng
    organisations = list(
        Organisation.objects.legal()
        .filter(dissolved_on__isnull=True)
        .only("id", "name", "township_id", "registered_on", "sector")
        .order_by("id")
    )
    if not organisations:
        return ["procurement: no organisations in the register, demo projects skipped"]
    preferred = [
        o for o in organisations if o.sector in (Sector.CHARITY, Sector.COMMUNITY_SERVICE)
    ] or organisations

    catalogue = {}
    for year in range(2016, 2021):
        for n, (category, name) in enumerate(CATALOGUE, start=1):
            if year < 2018 and n > 9:
                continue  # the catalogue grew in 2018
            catalogue.setdefault(year, []).append(
                CatalogueItem(
                    year=year,
                    code=f"{year}-{n:02d}",
                    name=name,
                    category=category,
                    department=rng.choice(BUYERS),
                )
            )
    CatalogueItem.objects.bulk_create([i for items in catalogue.values() for i in items])
    recommended = []
    for year in range(2017, 2021):
        for organisation in rng.sample(preferred, min(len(preferred), 18 + 4 * (year - 2017))):
            services = "、".join(rng.sample([name for _c, name in CATALOGUE], 2))
            recommended.append(
                RecommendedEntry(organisation=organisation, year=year, services=services)
            )
    RecommendedEntry.objects.bulk_create(recommended)

    projects, raw = [], []
    for year, count in PROJECTS_PER_YEAR.items():
        candidates = [o for o in preferred if o.registered_on < datetime.date(year, 1, 1)]
        candidates = candidates or organisations
        for _n in range(count):
            channel = rng.choices(CHANNELS, [c[1] for c in CHANNELS])[0]
            low, high = channel[2]
            amount = rng.uniform(low, high)
            if channel[0] == Project.Channel.PURCHASE:
                amount *= PURCHASE_GROWTH[year]
            organisation = rng.choice(candidates)
            topic, social = rng.choice(TOPICS)
            starts_on = _date(rng, datetime.date(year, 3, 1), datetime.date(year, 7, 1))
            ends_on = starts_on + datetime.timedelta(days=rng.choice((180, 270, 300, 364)))
            is_social_work = social and channel[0] in ("purchase", "venture") and rng.random() < 0.7
            share = None
            if is_social_work:
                # Shares creep up to the cap in force: 30 % until 2018, 60 % from 2019.
                cap = 30 if year < 2019 else 60
                share = Decimal(rng.randrange(cap // 2, cap + 1))
            items = catalogue.get(year, [])
            projects.append(
                Project(
                    channel=channel[0],
                    name=f"{topic}项目({year})" if rng.random() < 0.5 else f"{topic}服务",
                    buyer=rng.choice(BUYERS) if channel[0] == "purchase" else "区民政局",
                    organisation=organisation,
                    township_id=organisation.township_id,
                    year=year,
                    catalogue_item=rng.choice(items)
                    if items and channel[0] == "purchase"
                    else None,
                    signed_on=starts_on - datetime.timedelta(days=rng.randrange(3, 20)),
                    personnel_share=share,
                    is_social_work=is_social_work,
                    starts_on=starts_on,
                    ends_on=ends_on,
                )
            )
            raw.append(amount)
    factor = TOTAL_YUAN / Decimal(str(sum(raw)))
    last_day = datetime.date(2020, 12, 31)
    for project, amount in zip(projects, raw, strict=True):
        project.contract_amount = _money(Decimal(str(amount)) * factor)
        project.budget = _money(project.contract_amount * Decimal(rng.choice(("1", "1.05", "1.1"))))
        roll = rng.random()
        if roll < 0.04:
            project.state = Project.State.TERMINATED
        elif project.ends_on <= last_day:
            project.state, project.finished_on = Project.State.FINISHED, project.ends_on
        elif (project.ends_on - project.starts_on).days > 200 and roll < 0.6:
            project.state = Project.State.MIDTERM_REVIEWED
        else:
            project.state = Project.State.RUNNING
    Project.objects.bulk_create(projects, batch_size=500)
    for project in projects:  # numbered as services.project_create numbers a declared project
        project.code = f"ZH-{project.year}-{project.pk:05d}"
    Project.objects.bulk_update(projects, ["code"], batch_size=500)

    evaluations = []
    for project in projects:
        if project.state != Project.State.FINISHED or project.channel != "purchase":
            continue
        share = 0.6 if project.year < 2017 else (0.8 if project.year < 2018 else 0.95)
        if rng.random() < share:
            evaluations.append(
                PerformanceEvaluation(
                    project=project,
                    agency=rng.choice(AGENCIES),
                    score=Decimal(rng.randrange(700, 980)) / 10,
                    evaluated_on=project.finished_on
                    + datetime.timedelta(days=rng.randrange(10, 45)),
                )
            )
    PerformanceEvaluation.objects.bulk_create(evaluations)

    awards = []
    for year in (2018, 2019, 2020):
        ventures = [p for p in projects if p.year == year and p.channel == "venture"]
        chosen = rng.sample(ventures, min(10, len(ventures)))
        for n, project in enumerate(chosen, start=1):
            awards.append(
                Award(
                    year=year,
                    organisation=project.organisation,
                    name=f"{project.organisation.name}{project.name[:6]}团队{n}",
                    named_on=datetime.date(year, 12, rng.randrange(10, 25)),
                )
            )
    Award.objects.bulk_create(awards)

    brands = []
    district_years = [2018, 2019, 2019, 2020, 2020]
    finished = [p for p in projects if p.state == Project.State.FINISHED and p.year >= 2016]
    for n, year in enumerate(district_years, start=1):
        project = rng.choice(finished)
        brands.append(
            Brand(
                name=f"“{project.name[:6]}”公益品牌{n}",
                level=Brand.Level.DISTRICT,
                organisation=project.organisation,
                project=project,
                named_on=datetime.date(year, 11, 20),
                year=year,
            )
        )
    townships = list(Township.objects.order_by("order"))
    for n, township in enumerate(townships[:-1]):  # one township has none yet by 2020
        local = [p for p in finished if p.township_id == township.pk]
        project = rng.choice(local) if local else None
        year = 2018 + n % 3
        brands.append(
            Brand(
                name=f"{township.name}“{project.name[:4] if project else '邻里'}”品牌",
                level=Brand.Level.TOWNSHIP,
                township=township,
                organisation=project.organisation if project else None,
                project=project,
                named_on=datetime.date(year, 10, 15),
                year=year,
            )
        )
    Brand.objects.bulk_create(brands)
    total = sum(p.contract_amount for p in projects)
    return [
        f"procurement: {len(projects)} projects (¥{total:,.0f}), {len(evaluations)} evaluations, "
        f"{len(awards)} awards, {len(brands)} brands, "
        f"{sum(len(i) for i in catalogue.values())} catalogue items, "
        f"{len(recommended)} recommended entries"
    ]
