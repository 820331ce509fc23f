"""Benchmark data of party building (``generate_bench_data``): most organisations whose newest
annual report counts three or more party members have their own party organisation, about a third
of the rest are covered by joint ones (four organisations each), most others by an instructor;
two demonstration sites a year 2016–2020; each township's and the district's trainings every year
with study-class enrolments. Written with bulk_create in batches; no audit entries."""

import datetime

from django.db.models import OuterRef, Subquery

from registry.models import AnnualReport, Organisation, Township

from .demo import _date, _person
from .models import (
    DemonstrationSite,
    InstructorAssignment,
    Level,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)

END = datetime.date(2020, 12, 31)
BATCH = 2000
YEARS = range(2016, 2021)


def generate(*, rng, orgs: int):
    newest_members = AnnualReport.objects.filter(organisation_id=OuterRef("pk")).order_by("-year")
    organisations = list(
        Organisation.objects.legal_on(END)
        .filter(name__startswith="基准测试")
        .annotate(members=Subquery(newest_members.values("party_members")[:1]))
        .order_by("pk")
        .values_list("pk", "name", "township_id", "registered_on", "members")
    )
    through = PartyOrganisation.organisations.through
    parties, covers, assignments, rest = [], [], [], []
    for pk, name, township_id, registered, members in organisations:
        start = max(registered, datetime.date(2014, 1, 1))
        if (members or 0) >= 3 and rng.random() < 0.82:
            parties.append(
                PartyOrganisation(
                    name=f"{name}党支部",
                    kind=PartyOrganisation.Kind.SINGLE,
                    township_id=township_id,
                    established_on=_date(rng, start, END),
                    secretary=_person(rng),
                )
            )
            covers.append([pk])
        elif rng.random() < 0.35:
            rest.append((pk, name, township_id, registered))
        elif rng.random() < 0.7:
            assignments.append(
                InstructorAssignment(
                    organisation_id=pk,
                    instructor=_person(rng),
                    starts_on=_date(rng, max(registered, datetime.date(2016, 1, 1)), END),
                )
            )
    by_township = {}
    for row in rest:
        by_township.setdefault(row[2], []).append(row)
    for township_id, group in by_township.items():
        for n in range(0, len(group), 4):
            covered = group[n : n + 4]
            start = max(max(r[3] for r in covered), datetime.date(2015, 1, 1))
            parties.append(
                PartyOrganisation(
                    name=f"社会组织联合党支部（{covered[0][1][:12]}等）",
                    kind=PartyOrganisation.Kind.JOINT,
                    township_id=township_id,
                    established_on=_date(rng, start, END),
                    secretary=_person(rng),
                )
            )
            covers.append([r[0] for r in covered])
    PartyOrganisation.objects.bulk_create(parties, batch_size=BATCH)
    through.objects.bulk_create(
        [
            through(partyorganisation_id=party.pk, organisation_id=pk)
            for party, covered in zip(parties, covers, strict=True)
            for pk in covered
        ],
        batch_size=BATCH * 5,
    )
    InstructorAssignment.objects.bulk_create(assignments, batch_size=BATCH)
    singles = [c[0] for p, c in zip(parties, covers, strict=True) if p.kind == "single"]
    sites = []
    for year, pk in zip(
        [y for y in YEARS for _ in range(2)],
        rng.sample(singles, min(10, len(singles))),
        strict=False,
    ):
        sites.append(
            DemonstrationSite(
                organisation_id=pk,
                year=year,
                named_on=datetime.date(year, 7, 1),
                name=f"基准测试党建示范点{year}-{pk}",
            )
        )
    DemonstrationSite.objects.bulk_create(sites)
    yield (
        f"partybuilding: {len(parties)} party organisations, {len(assignments)} instructors, "
        f"{len(sites)} demonstration sites"
    )

    townships = list(Township.objects.order_by("order"))
    centres = [
        PartyServiceCentre(
            name="基准测试区社会组织党群服务中心",
            level=Level.DISTRICT,
            state=PartyServiceCentre.State.WORKING,
            opened_on=datetime.date(2019, 6, 1),
        )
    ]
    for township in townships:
        centres.append(
            PartyServiceCentre(
                name=f"基准测试{township.name}社会组织党群服务中心",
                level=Level.TOWNSHIP,
                township=township,
                state=PartyServiceCentre.State.WORKING,
                opened_on=datetime.date(2018, 9, 1),
            )
        )
    PartyServiceCentre.objects.bulk_create(centres)
    trainings, enrolments = [], []
    kinds = [k for k, _label in Training.Kind.choices]
    for year in YEARS:
        for kind in kinds:
            trainings.append(
                Training(
                    kind=kind,
                    level=Level.DISTRICT,
                    held_on=datetime.date(year, rng.randrange(3, 11), rng.randrange(1, 28)),
                    title=f"基准测试{year}年区级培训（{kind}）",
                    organiser="区民政局",
                    attendees=rng.randrange(30, 200),
                )
            )
        for township in townships:
            trainings.append(
                Training(
                    kind=Training.Kind.ACTIVISTS,
                    level=Level.TOWNSHIP,
                    township=township,
                    held_on=datetime.date(year, rng.randrange(3, 11), rng.randrange(1, 28)),
                    title=f"基准测试{year}年{township.name}培训",
                    organiser=township.name,
                    attendees=rng.randrange(20, 80),
                )
            )
    Training.objects.bulk_create(trainings)
    pool = [row[0] for row in organisations]
    for training in trainings:
        if training.kind == Training.Kind.STUDY_CLASS and pool:
            for pk in rng.sample(pool, min(15, len(pool))):
                enrolments.append(
                    TrainingEnrolment(training=training, organisation_id=pk, person=_person(rng))
                )
    TrainingEnrolment.objects.bulk_create(enrolments)
    yield (
        f"partybuilding: {len(centres)} service centres, {len(trainings)} trainings, "
        f"{len(enrolments)} enrolments"
    )
