"""The targets part of the demo district: milestones (some done), township quarterly reports for
2018Q3–2020Q4 (mostly accepted, a few late or returned, and township facts that improve unevenly so
C3–C6 and P2 show a mixed picture), then the stored series of every target.

Runs after the register demo (apps run in INSTALLED_APPS order) and uses its accounts."""

import datetime
from zoneinfo import ZoneInfo

from registry.models import Community, Township
from zhenhai_so.demo import TOWNSHIP_LOGINS
from zhenhai_so.models import User

from . import services
from .models import Milestone, Plan, quarterly_report_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVIDENCE = "https://www.zh.gov.cn/"  # placeholder link to the district portal for demo evidence

# (target code, milestone key) → completion date; the rest stay open.
MILESTONES_DONE = {
    ("P1", "main"): datetime.date(2019, 12, 18),
    ("G1", "main"): datetime.date(2019, 3, 1),
    ("C7", "legal_db"): datetime.date(2018, 12, 20),
    ("C7", "project_db"): datetime.date(2019, 6, 28),
    ("C7", "expert_db"): datetime.date(2019, 11, 15),
    ("C7", "incubation_base"): datetime.date(2020, 9, 30),
}

# Quarter (index from 2018Q3) from which each township's facts hold; None = never in the plan.
#                 service centre, party-mass integrated, rural demonstration platform
TOWNSHIP_FACTS = {
    "330211001000": (0, 2, None),
    "330211002000": (0, 4, 3),
    "330211003000": (0, 5, 2),
    "330211004000": (0, 7, 5),
    "330211005000": (1, None, 6),
    "330211100000": (0, 9, 1),
    "330211101000": (7, None, 8),
}
QUARTERS = [(2018, 3), (2018, 4)] + [(y, q) for y in (2019, 2020) for q in (1, 2, 3, 4)]


def _at(day: datetime.date, hour=10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def load(ctx) -> list[str]:
    plan = Plan.objects.filter(code="zhenhai-2018-2020").first()
    staff = User.objects.filter(username="staff").first()
    if plan is None or staff is None:
        return ["targets: no plan or no staff account; skipped"]
    rng = ctx.rng
    for (code, key), day in MILESTONES_DONE.items():
        milestone = Milestone.objects.get(target__plan=plan, target__code=code, key=key)
        services.milestone_record(
            milestone=milestone, completed_on=day, evidence_link=EVIDENCE, note="", user=staff
        )
    reports = 0
    for township in Township.objects.all():
        user = User.objects.filter(username=TOWNSHIP_LOGINS.get(township.code)).first()
        if user is None:
            continue
        reports += _township_reports(plan, township, user, staff, rng)
    # Every app's demo data is in (targets come last): compute the stored series once.
    steps = services.series_refresh()
    return [
        f"targets: {len(MILESTONES_DONE)} milestones done, {reports} quarterly reports, "
        f"{steps} stored values"
    ]


def _township_reports(plan, township, user, staff, rng) -> int:
    centre_from, party_from, rural_from = TOWNSHIP_FACTS.get(township.code, (0, None, None))
    communities = list(Community.objects.filter(township=township).order_by("code"))
    # Each community gets its hub platform / service station from some quarter on (or never).
    hub_from = {c.pk: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, None]) for c in communities}
    station_from = {c.pk: rng.choice([0, 0, 0, 0, 1, 3, 5, 7, 9, None, None]) for c in communities}
    made = 0
    for index, (year, quarter) in enumerate(QUARTERS):
        report = services.quarterly_report_open(
            plan=plan, township=township, year=year, quarter=quarter, user=user
        )
        base = rng.randint(3, 8)
        values = {
            ("service_centre_working", None): {"value": index >= centre_from},
            ("party_mass_integrated", None): {
                "value": party_from is not None and index >= party_from
            },
            ("rural_demo_platforms", None): {
                "value": 1 if rural_from is not None and index >= rural_from else 0
            },
            ("trainings_held", None): {"value": base // 2 + 1},
            ("training_attendance", None): {"value": (base // 2 + 1) * rng.randint(25, 45)},
            ("community_orgs_filed", None): {"value": rng.randint(2, 9)},
            ("welfare_activities", None): {"value": base * 3},
            ("people_served", None): {"value": base * rng.randint(180, 260)},
            ("volunteers", None): {"value": base * rng.randint(20, 35)},
            ("funds_raised", None): {"value": f"{rng.randint(5, 40)}.{rng.randint(0, 9)}"},
        }
        for c in communities:
            values[("hub_platform", c.pk)] = {
                "value": c.kind == "urban"
                and hub_from[c.pk] is not None
                and index >= hub_from[c.pk]
            }
            values[("service_station", c.pk)] = {
                "value": station_from[c.pk] is not None and index >= station_from[c.pk]
            }
        report = services.quarterly_report_save_draft(
            report=report,
            values=values,
            narrative="本季度社区社会组织培育工作按计划推进;下季度继续完善村社服务站建设。",
            expected_version=None,
            user=user,
        )
        # A big swing from last quarter would need a comment; the demo explains every figure.
        for v in report.values.filter(
            community__isnull=True, indicator__kind__in=["int", "decimal"]
        ):
            v.comment = v.comment or "按实际统计"
            v.save(update_fields=["comment"])
        due = quarterly_report_due(year, quarter)
        last = index == len(QUARTERS) - 1
        roll = rng.random()
        submitted_on = (
            due + datetime.timedelta(days=rng.randint(1, 12))
            if roll < 0.12
            else (due - datetime.timedelta(days=rng.randint(0, 12)))
        )
        report = services.quarterly_report_submit(report=report, user=user, now=_at(submitted_on))
        if last and roll > 0.8:
            made += 1
            continue  # still waiting for the bureau
        if rng.random() < 0.1 or (last and roll > 0.65):
            report = services.quarterly_report_return(
                report=report,
                user=staff,
                reason="服务群众人次与活动场次不匹配,请核实后重新报送。",
                now=_at(submitted_on + datetime.timedelta(days=2)),
            )
            if last:
                made += 1
                continue
            report = services.quarterly_report_submit(
                report=report, user=user, now=_at(submitted_on + datetime.timedelta(days=4))
            )
        services.quarterly_report_accept(
            report=report,
            user=staff,
            now=_at(report.submitted_at.date() + datetime.timedelta(days=3)),
        )
        made += 1
    return made
