"""Benchmark data of the plan (``generate_bench_data``): the demo's milestones, every township's
quarterly reports 2018Q3–2020Q4 through the same services as the demo (filed, submitted, some
returned and resubmitted, most accepted), and the stored series of every target, as the
refresh task computes them, so the dashboard and the target pages read what they read in
production. The pages themselves are measured by ``tests/bench/bench_pages.py``."""

from registry.models import Township
from zhenhai_so.models import User
from zhenhai_so.roles import Role
from zhenhai_so.services import user_create

from . import services
from .demo import EVIDENCE, MILESTONES_DONE, _township_reports
from .models import Milestone, Plan

PASSWORD = "Bench-Pass-2024"


def _user(username: str, role: str, township=None) -> User:
    user = User.objects.filter(username=username).first()
    return user or user_create(
        username=username,
        role=role,
        township=township,
        password=PASSWORD,
        must_change_password=False,
    )


def generate(*, rng, orgs: int):
    plan = Plan.objects.filter(code="zhenhai-2018-2020").first()
    if plan is None:
        yield "targets: no plan loaded; no quarterly reports"
        return
    staff = _user("bench_staff", Role.BUREAU_STAFF)
    for (code, key), day in MILESTONES_DONE.items():
        milestone = Milestone.objects.get(target__plan=plan, target__code=code, key=key)
        if milestone.completed_on is None:
            services.milestone_record(
                milestone=milestone, completed_on=day, evidence_link=EVIDENCE, note="", user=staff
            )
    reports = 0
    for township in Township.objects.order_by("order"):
        if plan.quarterly_reports.filter(township=township).exists():
            continue  # --append: this township's reports are there already
        user = _user(f"bench_office_{township.code}", Role.TOWNSHIP_OFFICE, township)
        reports += _township_reports(plan, township, user, staff, rng)
    yield f"targets: {len(MILESTONES_DONE)} milestones done, {reports} quarterly reports"
    yield f"targets: {services.series_refresh()} stored values"
