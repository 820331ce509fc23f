"""The register part of the demo district (``load_demo``), reproducible from ``ctx.rng``.

At 2018-06-30 there are exactly 382 legal organisations (135 social groups, 245 private
non-enterprise units, 2 foundations), as the plan's section 一 says; the history then carries on
through 2020 with registrations, dissolutions, annual reports, spot checks and list entries, so
that the dashboard shows a plausible, mixed picture. Annual reports go on to 2025 (the last year
whose deadline has passed), drawn apart so that they change nothing in the plan years. Community
organisations are filed in every village and community, more in some than in others.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from .models import (
    AnnualReport,
    Community,
    Decoupling,
    Inspection,
    ListEntry,
    Organisation,
    OrgStatus,
    OrgType,
    RegistrationApplication,
    RegistrationMode,
    Sector,
    Township,
)
from .validators import make_credit_code

BASELINE = datetime.date(2018, 6, 30)
AT_BASELINE = {
    OrgType.SOCIAL_GROUP: 135,
    OrgType.PRIVATE_NON_ENTERPRISE: 245,
    OrgType.FOUNDATION: 2,
}
# Registered after the baseline, per half-year, by type (social groups, private non-enterprise).
LATER = {
    (2018, 2): (7, 13),
    (2019, 1): (9, 17),
    (2019, 2): (8, 15),
    (2020, 1): (6, 12),
    (2020, 2): (8, 14),
}
TOWNSHIP_WEIGHTS = {
    "330211001000": 20,
    "330211002000": 18,
    "330211003000": 18,
    "330211004000": 16,
    "330211005000": 10,
    "330211100000": 9,
    "330211101000": 9,
}
CATEGORY = {OrgType.SOCIAL_GROUP: "1", OrgType.PRIVATE_NON_ENTERPRISE: "2", OrgType.FOUNDATION: "3"}
PLACES = [
    "镇海",
    "蛟川",
    "骆驼",
    "庄市",
    "贵驷",
    "澥浦",
    "九龙湖",
    "招宝山",
    "甬江",
    "后海塘",
    "宁波帮",
    "书院",
    "鼓楼",
    "沿江",
    "海天",
]
GROUP_TOPICS = [
    ("行业协会", Sector.INDUSTRY_ASSOCIATION),
    ("商会", Sector.INDUSTRY_ASSOCIATION),
    ("科学技术协会", Sector.SCIENCE_TECH),
    ("计算机学会", Sector.SCIENCE_TECH),
    ("慈善总会分会", Sector.CHARITY),
    ("志愿者协会", Sector.CHARITY),
    ("老年人体育协会", Sector.COMMUNITY_SERVICE),
    ("书法家协会", Sector.OTHER),
    ("摄影家协会", Sector.OTHER),
    ("围棋协会", Sector.OTHER),
    ("餐饮协会", Sector.INDUSTRY_ASSOCIATION),
    ("物流协会", Sector.INDUSTRY_ASSOCIATION),
    ("社会工作者协会", Sector.COMMUNITY_SERVICE),
]
PNE_TOPICS = [
    ("幼儿园", Sector.OTHER),
    ("培训学校", Sector.OTHER),
    ("社会工作服务中心", Sector.COMMUNITY_SERVICE),
    ("居家养老服务中心", Sector.COMMUNITY_SERVICE),
    ("文化艺术中心", Sector.OTHER),
    ("康复中心", Sector.CHARITY),
    ("公益服务中心", Sector.CHARITY),
    ("青少年发展中心", Sector.CHARITY),
    ("邻里服务中心", Sector.COMMUNITY_SERVICE),
    ("科技服务中心", Sector.SCIENCE_TECH),
]
COMMUNITY_TOPICS = [
    "志愿服务队",
    "文体队",
    "老年协会",
    "调解小组",
    "读书会",
    "舞蹈队",
    "睦邻互助会",
    "巾帼服务队",
    "平安巡逻队",
    "书画社",
    "健身队",
    "关爱帮扶队",
    "环保护绿队",
    "亲子活动社",
]
FOUNDATIONS = [("镇海区慈善基金会", Sector.CHARITY), ("镇海区教育基金会", Sector.OTHER)]
SUPERVISORS = [
    "区教育局",
    "区卫生健康局",
    "区文化和广电旅游体育局",
    "区人力资源和社会保障局",
    "区科学技术局",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国海燕"


class _Codes:
    """Unique, valid credit codes: the organisation-code part is random but never repeats."""

    ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def next(self, org_type) -> str:
        while True:
            body = "MJ" + "".join(self.rng.choice(self.ALPHABET[:10]) for _ in range(6))
            if body not in self.used:
                self.used.add(body)
                return make_credit_code(CATEGORY[org_type], "330211", body)


def _date_between(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng) -> str:
    return f"0574-{rng.randrange(86000000, 86999999)}"


@transaction.atomic
def load(ctx) -> list[str]:
    if Organisation.objects.exists():
        return ["registry: organisations exist already, demo register not loaded"]
    rng = ctx.rng
    townships = list(Township.objects.order_by("order"))
    weights = [TOWNSHIP_WEIGHTS.get(t.code, 10) for t in townships]
    communities = list(Community.objects.select_related("township"))
    by_township = {t.pk: [c for c in communities if c.township_id == t.pk] for t in townships}
    codes = _Codes(rng)
    serial = {"n": 0}

    def legal(org_type, registered_on, dissolved_on=None):
        serial["n"] += 1
        township = rng.choices(townships, weights)[0]
        place = rng.choice(PLACES)
        if org_type == OrgType.FOUNDATION:
            name, sector = FOUNDATIONS[serial["n"] % len(FOUNDATIONS)]
        else:
            topic, sector = rng.choice(
                GROUP_TOPICS if org_type == OrgType.SOCIAL_GROUP else PNE_TOPICS
            )
            name = f"宁波市镇海区{place}{topic}" if rng.random() < 0.5 else f"镇海区{place}{topic}"
        dual = sector == Sector.OTHER and org_type != OrgType.FOUNDATION and rng.random() < 0.7
        community = None
        if sector == Sector.COMMUNITY_SERVICE and by_township[township.pk] and rng.random() < 0.6:
            community = rng.choice(by_township[township.pk])
        decoupling = ""
        decoupled_on = None
        if sector == Sector.INDUSTRY_ASSOCIATION and rng.random() < 0.7:
            decoupling = Decoupling.COMPLETED
            decoupled_on = _date_between(
                rng, datetime.date(2017, 9, 1), datetime.date(2018, 11, 30)
            )
            if rng.random() < 0.1:  # a laggard, decoupled after the 2018 deadline
                decoupled_on = _date_between(
                    rng, datetime.date(2019, 1, 15), datetime.date(2019, 9, 30)
                )
            decoupled_on = max(decoupled_on, registered_on)
        return Organisation(
            name=name,
            credit_code=codes.next(org_type),
            org_type=org_type,
            registration_mode=RegistrationMode.DUAL if dual else RegistrationMode.DIRECT,
            sector=sector,
            supervising_unit=rng.choice(SUPERVISORS) if dual else "",
            township=township,
            community=community,
            address=f"宁波市镇海区{township.name}{place}路{rng.randrange(1, 400)}号",
            legal_representative=_person(rng),
            phone=_phone(rng),
            capital=Decimal(
                rng.choice((3, 5, 10, 20, 30, 50, 200 if org_type == OrgType.FOUNDATION else 10))
            ),
            registered_on=registered_on,
            dissolved_on=dissolved_on,
            status=OrgStatus.DEREGISTERED if dissolved_on else OrgStatus.NORMAL,
            is_hub=sector == Sector.COMMUNITY_SERVICE and rng.random() < 0.08,
            decoupling=decoupling,
            decoupled_on=decoupled_on,
        )

    organisations = []
    # Legal on the baseline date: registered 1995 … 2018-06-30, a few dissolving in 2019-2020.
    for org_type, count in AT_BASELINE.items():
        for i in range(count):
            if org_type == OrgType.FOUNDATION:
                registered = datetime.date(2011 + 4 * i, 9, 16)
            elif rng.random() < 0.07:
                registered = _date_between(rng, datetime.date(2018, 1, 1), BASELINE)
            else:
                registered = _date_between(
                    rng, datetime.date(1996, 1, 1), datetime.date(2017, 12, 31)
                )
            dissolved = None
            if org_type != OrgType.FOUNDATION and rng.random() < 0.05:
                dissolved = _date_between(
                    rng, datetime.date(2018, 7, 1), datetime.date(2020, 12, 31)
                )
            organisations.append(legal(org_type, registered, dissolved))
    # Dissolved before the baseline (history only).
    for _ in range(24):
        org_type = rng.choice((OrgType.SOCIAL_GROUP, OrgType.PRIVATE_NON_ENTERPRISE))
        registered = _date_between(rng, datetime.date(2000, 1, 1), datetime.date(2014, 12, 31))
        dissolved = _date_between(rng, datetime.date(2015, 1, 1), datetime.date(2018, 6, 29))
        organisations.append(legal(org_type, registered, dissolved))
    # Registered after the baseline.
    for (year, half), (groups, pnes) in LATER.items():
        start = datetime.date(year, 7 if half == 2 else 1, 1)
        end = datetime.date(year, 12, 31) if half == 2 else datetime.date(year, 6, 30)
        if start <= BASELINE:
            start = BASELINE + datetime.timedelta(days=1)
        for org_type, count in (
            (OrgType.SOCIAL_GROUP, groups),
            (OrgType.PRIVATE_NON_ENTERPRISE, pnes),
        ):
            for _ in range(count):
                organisations.append(legal(org_type, _date_between(rng, start, end)))

    # Filed community organisations in every village and community, more in urban ones.
    for community in communities:
        if community.kind == Community.Kind.URBAN:
            count = rng.choice((13, 15, 17, 18, 19, 20, 21, 22, 24, 26))
        else:
            count = rng.choice((4, 5, 6, 7, 8, 8, 9, 10, 12))
        for i in range(count):
            registered = _date_between(rng, datetime.date(2012, 1, 1), datetime.date(2020, 11, 30))
            dissolved = None
            if rng.random() < 0.04:
                dissolved = _date_between(
                    rng, max(registered, datetime.date(2016, 1, 1)), datetime.date(2020, 12, 31)
                )
                dissolved = max(dissolved, registered)
            organisations.append(
                Organisation(
                    name=f"{community.name}{COMMUNITY_TOPICS[i % len(COMMUNITY_TOPICS)]}",
                    org_type=OrgType.COMMUNITY,
                    registration_mode=RegistrationMode.FILED,
                    sector=Sector.COMMUNITY_SERVICE,
                    township=community.township,
                    community=community,
                    address=f"{community.township.name}{community.name}",
                    legal_representative=_person(rng),
                    registered_on=registered,
                    dissolved_on=dissolved,
                    status=OrgStatus.DEREGISTERED if dissolved else OrgStatus.NORMAL,
                )
            )
    Organisation.objects.bulk_create(organisations, batch_size=1000)
    saved = list(Organisation.objects.legal())
    reports = _annual_reports(rng, saved)
    AnnualReport.objects.bulk_create(reports, batch_size=1000)
    inspections = _inspections(rng, saved)
    Inspection.objects.bulk_create(inspections, batch_size=1000)
    entries = _list_entries(rng, saved, reports)
    ListEntry.objects.bulk_create(entries, batch_size=1000)
    # The years after the plan, drawn from a stream of their own so that the plan years (and
    # everything the dashboard shows) stay as they were.
    later = _annual_reports(
        random.Random(f"later-reports-{rng.getstate()[1][:4]}"),  # noqa: S311 - demo data
        saved,
        LATER_REPORT_PROFILE,
        party={r.organisation_id: r.party_members for r in reports if r.year == 2020},
    )
    AnnualReport.objects.bulk_create(later, batch_size=1000)
    reports += later
    applications = _applications(rng, townships, saved)
    legal_at_baseline = Organisation.objects.legal_on(BASELINE).count()
    return [
        f"registry: {len(organisations)} organisations ({legal_at_baseline} legal at {BASELINE}), "
        f"{len(reports)} annual reports, {len(inspections)} spot checks, "
        f"{len(entries)} list entries, {applications} applications"
    ]


# Per report year: share submitted, share on time among those, share meeting each condition.
REPORT_PROFILE = {
    2017: {
        "submit": 0.94,
        "on_time": 0.93,
        "staff": 0.86,
        "office": 0.52,
        "finance": 0.84,
        "supervisor": 0.80,
        "charter": 0.55,
    },
    2018: {
        "submit": 0.96,
        "on_time": 0.95,
        "staff": 0.91,
        "office": 0.57,
        "finance": 0.88,
        "supervisor": 0.85,
        "charter": 0.78,
    },
    2019: {
        "submit": 0.98,
        "on_time": 0.96,
        "staff": 0.95,
        "office": 0.61,
        "finance": 0.91,
        "supervisor": 0.89,
        "charter": 0.90,
    },
    2020: {
        "submit": 0.98,
        "on_time": 0.97,
        "staff": 0.97,
        "office": 0.63,
        "finance": 0.93,
        "supervisor": 0.92,
        "charter": 0.96,
    },
}


# After the plan the bureau's annual inspection carries on: reports up to the last year whose
# deadline (31 May) has passed in the demo's present, so public profiles are not full of gaps.
LATER_REPORT_PROFILE = {
    year: {**REPORT_PROFILE[2020], "submit": 0.97, "on_time": 0.96} for year in range(2021, 2026)
}


def _annual_reports(rng, organisations, profiles=REPORT_PROFILE, party=None) -> list[AnnualReport]:
    reports = []
    party = {
        o.pk: (party or {}).get(
            o.pk, rng.choices((0, 1, 2, 3, 4, 6, 9), (40, 18, 14, 12, 8, 5, 3))[0]
        )
        for o in organisations
    }
    for year, profile in profiles.items():
        year_start, year_end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        for organisation in organisations:
            obliged = organisation.registered_on < year_start and (
                organisation.dissolved_on is None or organisation.dissolved_on > year_end
            )
            if not obliged or rng.random() > profile["submit"]:
                continue
            due = datetime.date(year + 1, 5, 31)
            if rng.random() < profile["on_time"]:
                submitted = _date_between(rng, datetime.date(year + 1, 2, 15), due)
            else:
                submitted = _date_between(
                    rng, due + datetime.timedelta(days=1), datetime.date(year + 1, 9, 30)
                )
            result = rng.choices(
                (
                    AnnualReport.Result.QUALIFIED,
                    AnnualReport.Result.BASICALLY,
                    AnnualReport.Result.UNQUALIFIED,
                ),
                (90, 8.5, 1.5),
            )[0]
            has_office = rng.random() < profile["office"]
            party[organisation.pk] = max(0, party[organisation.pk] + rng.choice((0, 0, 0, 1, -1)))
            income = (
                Decimal(rng.randrange(5, 800))
                / 10
                * (20 if organisation.org_type == OrgType.FOUNDATION else 1)
            )
            reports.append(
                AnnualReport(
                    organisation=organisation,
                    year=year,
                    submitted_on=submitted,
                    result=result,
                    full_time_staff=rng.randrange(1, 12) if rng.random() < profile["staff"] else 0,
                    office_area=Decimal(rng.randrange(20, 300))
                    if has_office
                    else Decimal(rng.randrange(0, 19)),
                    office_independent=has_office,
                    has_finance_system=rng.random() < profile["finance"],
                    has_assembly=organisation.org_type == OrgType.SOCIAL_GROUP
                    and rng.random() < 0.95,
                    has_council=rng.random() < 0.93,
                    has_supervisor=rng.random() < profile["supervisor"],
                    party_members=party[organisation.pk],
                    charter_party_clause=rng.random() < profile["charter"],
                    income=income.quantize(Decimal("0.01")),
                    spending=(income * Decimal(rng.uniform(0.7, 1.05))).quantize(Decimal("0.01")),
                )
            )
    return reports


def _inspections(rng, organisations) -> list[Inspection]:
    inspections = []
    for year, published_share in ((2017, 0.6), (2018, 0.85), (2019, 1.0), (2020, 0.95)):
        active = [
            o
            for o in organisations
            if o.registered_on < datetime.date(year, 1, 1)
            and (o.dissolved_on is None or o.dissolved_on.year > year)
        ]
        for organisation in rng.sample(active, k=max(1, len(active) * 5 // 100)):
            inspected = _date_between(rng, datetime.date(year, 4, 1), datetime.date(year, 11, 30))
            result = rng.choices(list(Inspection.Result), (80, 18, 2))[0]
            inspections.append(
                Inspection(
                    organisation=organisation,
                    inspected_on=inspected,
                    inspectors=f"{_person(rng)}、{_person(rng)}",
                    result=result,
                    findings=""
                    if result == Inspection.Result.PASSED
                    else "财务凭证不完整，会议记录缺失。",
                    published_on=inspected + datetime.timedelta(days=rng.randrange(7, 30))
                    if rng.random() < published_share
                    else None,
                )
            )
    return inspections


def _list_entries(rng, organisations, reports) -> list[ListEntry]:
    """Organisations that did not report for 2017 or 2018 go on the abnormal list the next July;
    most are removed once they report; a couple stay listed long enough to be blacklisted."""
    reported = {(r.organisation_id, r.year) for r in reports}
    entries = []
    listed = set()
    for year in (2017, 2018, 2019):
        listed_on = datetime.date(year + 1, 7, 15)
        for organisation in organisations:
            obliged = organisation.registered_on.year < year and (
                organisation.dissolved_on is None or organisation.dissolved_on > listed_on
            )
            if not obliged or (organisation.pk, year) in reported or organisation.pk in listed:
                continue
            listed.add(organisation.pk)
            removed = None
            if rng.random() < 0.7:
                removed = listed_on + datetime.timedelta(days=rng.randrange(40, 200))
            entries.append(
                ListEntry(
                    organisation=organisation,
                    kind=ListEntry.Kind.ABNORMAL,
                    reason=ListEntry.Reason.REPORT_LATE,
                    details=f"未按时报送{year}年度工作报告",
                    listed_on=listed_on,
                    removed_on=removed,
                    removal_reason="已补报年度工作报告" if removed else "",
                )
            )
            if removed is None and year == 2017 and rng.random() < 0.5:
                entries.append(
                    ListEntry(
                        organisation=organisation,
                        kind=ListEntry.Kind.SERIOUS,
                        reason=ListEntry.Reason.TWO_YEARS_ABNORMAL,
                        details="列入活动异常名录满2年",
                        listed_on=listed_on + datetime.timedelta(days=731),
                    )
                )
    return entries


def _applications(rng, townships, organisations) -> int:
    """A few applications in each state, so the staff queue is not empty."""
    from zhenhai_so.models import User

    staff = User.objects.filter(role="bureau_staff").first()
    count = 0
    for i, state in enumerate(("submitted", "submitted", "submitted", "returned", "draft")):
        township = townships[i % len(townships)]
        place = rng.choice(PLACES)
        topic, sector = rng.choice(PNE_TOPICS)
        name = f"镇海区{place}{topic}"
        RegistrationApplication.objects.create(
            kind="establish",
            state=state,
            township=township,
            name=name,
            applicant=_person(rng),
            created_by=staff,
            reason="请补充住所证明材料。" if state == "returned" else "",
            data={
                "name": name,
                "credit_code": make_credit_code("2", "330211", f"MK{i:06d}"),
                "org_type": "private_non_enterprise",
                "registration_mode": "direct",
                "sector": sector,
                "supervising_unit": "",
                "township": township.pk,
                "community": None,
                "address": f"宁波市镇海区{township.name}{place}路{i + 10}号",
                "legal_representative": _person(rng),
                "phone": _phone(rng),
                "capital": "10",
                "registered_on": "2020-12-20",
                "is_hub": False,
            },
        )
        count += 1
    return count
