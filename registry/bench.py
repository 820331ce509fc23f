"""Benchmark data of the register (``generate_bench_data``): ``orgs`` organisations spread over
the townships and communities, about 80 % legal, with five years of annual reports, spot checks
and list entries. Written with bulk_create in batches; no audit entries (not user changes)."""

import datetime

from .models import (
    AnnualReport,
    Community,
    Inspection,
    ListEntry,
    Organisation,
    OrgType,
    RegistrationMode,
    Sector,
    Township,
)
from .validators import make_credit_code

CATEGORY = {OrgType.SOCIAL_GROUP: "1", OrgType.PRIVATE_NON_ENTERPRISE: "2", OrgType.FOUNDATION: "3"}
YEARS = range(2016, 2021)
BATCH = 2000


def _code(org_type: str, serial: int) -> str:
    digits = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body, n = "", serial
    for _ in range(6):
        body = digits[n % 31] + body
        n //= 31
    return make_credit_code(CATEGORY[org_type], "330211", "MB" + body)


def generate(*, rng, orgs: int):
    townships = list(Township.objects.all())
    communities = list(Community.objects.all())
    by_township = {t.pk: [c for c in communities if c.township_id == t.pk] for t in townships}
    start = Organisation.objects.count()
    pending = []
    for i in range(start, start + orgs):
        township = townships[i % len(townships)]
        roll = rng.random()
        org_type = (
            OrgType.COMMUNITY
            if roll < 0.2
            else OrgType.SOCIAL_GROUP
            if roll < 0.5
            else OrgType.FOUNDATION
            if roll < 0.51
            else OrgType.PRIVATE_NON_ENTERPRISE
        )
        registered = datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(9500))
        dissolved = None
        if rng.random() < 0.05:
            dissolved = registered + datetime.timedelta(days=rng.randrange(200, 3000))
        community = rng.choice(by_township[township.pk]) if by_township[township.pk] else None
        pending.append(
            Organisation(
                name=f"基准测试社会组织{i:06d}",
                credit_code="" if org_type == OrgType.COMMUNITY else _code(org_type, i),
                org_type=org_type,
                registration_mode=RegistrationMode.FILED
                if org_type == OrgType.COMMUNITY
                else RegistrationMode.DIRECT,
                sector=rng.choice(Sector.values),
                township=township,
                community=community
                if org_type == OrgType.COMMUNITY or rng.random() < 0.3
                else None,
                legal_representative="张三",
                registered_on=registered,
                dissolved_on=dissolved,
                status="deregistered" if dissolved else "normal",
            )
        )
        if len(pending) >= BATCH:
            Organisation.objects.bulk_create(pending)
            pending = []
    Organisation.objects.bulk_create(pending)
    yield f"registry: {orgs} organisations"

    reports, inspections, entries = 0, 0, 0
    batch_reports, batch_inspections, batch_entries = [], [], []
    listed = set()
    legal = (
        Organisation.objects.legal()
        .filter(name__startswith="基准测试")
        .values_list("pk", "registered_on", "dissolved_on")
    )
    for pk, registered, dissolved in legal.iterator(chunk_size=BATCH):
        for year in YEARS:
            if registered.year >= year or (dissolved and dissolved.year <= year):
                continue
            if rng.random() < 0.95:
                batch_reports.append(
                    AnnualReport(
                        organisation_id=pk,
                        year=year,
                        submitted_on=datetime.date(
                            year + 1, rng.randrange(2, 8), rng.randrange(1, 28)
                        ),
                        result=rng.choice(("qualified", "qualified", "qualified", "basically")),
                        full_time_staff=rng.randrange(0, 10),
                        office_area=rng.randrange(0, 200),
                        office_independent=rng.random() < 0.6,
                        has_finance_system=rng.random() < 0.9,
                        has_assembly=rng.random() < 0.9,
                        has_council=rng.random() < 0.9,
                        has_supervisor=rng.random() < 0.85,
                        party_members=rng.randrange(0, 6),
                        charter_party_clause=rng.random() < 0.8,
                    )
                )
            elif pk not in listed and rng.random() < 0.5:
                listed.add(pk)
                batch_entries.append(
                    ListEntry(
                        organisation_id=pk,
                        kind="abnormal",
                        reason="report_late",
                        listed_on=datetime.date(year + 1, 7, 1),
                    )
                )
            if rng.random() < 0.05:
                batch_inspections.append(
                    Inspection(
                        organisation_id=pk,
                        inspected_on=datetime.date(year, 6, 1),
                        result="passed",
                        published_on=datetime.date(year, 7, 1),
                    )
                )
        if len(batch_reports) >= BATCH:
            AnnualReport.objects.bulk_create(batch_reports)
            reports += len(batch_reports)
            batch_reports = []
    AnnualReport.objects.bulk_create(batch_reports)
    reports += len(batch_reports)
    Inspection.objects.bulk_create(batch_inspections, batch_size=BATCH)
    ListEntry.objects.bulk_create(batch_entries, batch_size=BATCH)
    inspections, entries = len(batch_inspections), len(batch_entries)
    yield f"registry: {reports} annual reports, {inspections} spot checks, {entries} list entries"
