"""The party-building part of the demo district (``load_demo``), reproducible from ``ctx.rng``.

A mixed picture for P3–P8, S7 and S9: most organisations with three or more formal party members
have set up their own party organisation (not all: some are flagged), joint organisations and
instructors cover many of the rest, some stay uncovered; two demonstration sites in 2018 and 2019
and one in 2020; the district centre opens in 2020, township centres in various states; the
leaders' training every year, the activists' training missing in 2019, the staff rotation every
year, study classes of 12, 14 and 9 representatives. Works with whatever organisations exist.
"""

import datetime

from django.db import transaction
from django.db.models import OuterRef, Subquery

from registry.models import AnnualReport, Organisation, Township

from .models import (
    DemonstrationSite,
    InstructorAssignment,
    Level,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "海燕", "丽华", "志强", "晓东", "文杰", "秀英", "国平", "静", "敏", "伟", "芳"]
END = datetime.date(2020, 12, 31)


def _person(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _date(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange(max((end - start).days, 0) + 1))


@transaction.atomic
def load(ctx) -> list[str]:
    if PartyOrganisation.objects.exists() or Training.objects.exists():
        return ["partybuilding: data exist already, demo not loaded"]
    rng = ctx.rng
    newest_members = AnnualReport.objects.filter(organisation_id=OuterRef("pk")).order_by("-year")
    organisations = list(
        Organisation.objects.legal_on(END)
        .annotate(members=Subquery(newest_members.values("party_members")[:1]))
        .only("id", "name", "township_id", "registered_on")
        .order_by("id")
    )
    townships = list(Township.objects.order_by("order"))
    lines = []
    if organisations:
        lines.append(_party_organisations(rng, organisations))
    lines.append(_centres(rng, townships))
    lines.append(_trainings(rng, organisations, townships))
    return lines


def _party_organisations(rng, organisations) -> str:
    parties, members, assignments, sites = [], [], [], []
    rest = []
    for organisation in organisations:
        start = max(organisation.registered_on, datetime.date(2014, 1, 1))
        if (organisation.members or 0) >= 3 and rng.random() < 0.82:
            party = PartyOrganisation(
                name=f"{organisation.name}党支部",
                kind=PartyOrganisation.Kind.SINGLE,
                township_id=organisation.township_id,
                established_on=_date(rng, start, END),
                secretary=_person(rng),
            )
            parties.append(party)
            members.append((party, [organisation]))
        else:
            rest.append(organisation)
    rng.shuffle(rest)
    by_township = {}
    for organisation in rest:
        by_township.setdefault(organisation.township_id, []).append(organisation)
    uncovered = []
    for township_id, group in by_township.items():
        joint_count = int(len(group) * 0.35)
        joint, others = group[:joint_count], group[joint_count:]
        for n in range(0, len(joint), 4):
            covered = joint[n : n + 4]
            start = max(max(o.registered_on for o in covered), datetime.date(2015, 1, 1))
            party = PartyOrganisation(
                name=f"社会组织联合党支部（{covered[0].name[:8]}等）",
                kind=PartyOrganisation.Kind.JOINT,
                township_id=township_id,
                established_on=_date(rng, start, END),
                secretary=_person(rng),
            )
            parties.append(party)
            members.append((party, covered))
        for organisation in others:
            if rng.random() < 0.7:
                start = max(organisation.registered_on, datetime.date(2016, 1, 1))
                assignments.append(
                    InstructorAssignment(
                        organisation=organisation,
                        instructor=_person(rng),
                        starts_on=_date(rng, start, END),
                    )
                )
            else:
                uncovered.append(organisation)
    PartyOrganisation.objects.bulk_create(parties)
    through = PartyOrganisation.organisations.through
    through.objects.bulk_create(
        [
            through(partyorganisation_id=party.pk, organisation_id=o.pk)
            for party, covered in members
            for o in covered
        ]
    )
    InstructorAssignment.objects.bulk_create(assignments)
    with_own = [covered[0] for party, covered in members if party.kind == "single"]
    picks = rng.sample(with_own, min(5, len(with_own)))
    for organisation, year in zip(picks, (2018, 2018, 2019, 2019, 2020), strict=False):
        sites.append(
            DemonstrationSite(
                organisation=organisation,
                year=year,
                named_on=datetime.date(year, 7, 1),
                name=f"{organisation.name}党建示范点",
            )
        )
    DemonstrationSite.objects.bulk_create(sites)
    return (
        f"partybuilding: {len(parties)} party organisations, {len(assignments)} instructors, "
        f"{len(uncovered)} organisations left uncovered, {len(sites)} demonstration sites"
    )


def _centres(rng, townships) -> str:
    centres = [
        PartyServiceCentre(
            name="镇海区社会组织党群服务中心（党建孵化园）",
            level=Level.DISTRICT,
            state=PartyServiceCentre.State.WORKING,
            opened_on=datetime.date(2020, 9, 28),
        )
    ]
    states = ["working"] * 5 + ["building", "planned"]
    for township, state in zip(townships, states, strict=False):
        centres.append(
            PartyServiceCentre(
                name=f"{township.name}社会组织党群服务中心",
                level=Level.TOWNSHIP,
                township=township,
                state=state,
                opened_on=_date(rng, datetime.date(2018, 9, 1), datetime.date(2020, 6, 30))
                if state == "working"
                else None,
            )
        )
    PartyServiceCentre.objects.bulk_create(centres)
    return f"partybuilding: {len(centres)} party-mass service centres"


def _trainings(rng, organisations, townships) -> str:
    organiser = "区社会组织综合党委"
    plan = [
        ("leaders", 2017, "社会组织党组织负责人专题培训班"),
        ("leaders", 2018, "社会组织党组织负责人专题培训班"),
        ("leaders", 2019, "社会组织党组织负责人专题培训班"),
        ("leaders", 2020, "社会组织党组织负责人专题培训班"),
        ("activists", 2018, "社会组织入党积极分子集中培训会"),
        ("activists", 2020, "社会组织入党积极分子集中培训会"),
        ("staff_rotation", 2018, "社会组织专职工作人员轮训班"),
        ("staff_rotation", 2019, "社会组织专职工作人员轮训班"),
        ("staff_rotation", 2020, "社会组织专职工作人员轮训班"),
        ("study_class", 2018, "区级社会组织研修班"),
        ("study_class", 2019, "区级社会组织研修班"),
        ("study_class", 2020, "区级社会组织研修班"),
        ("other", 2019, "社会组织财务管理培训"),
    ]
    trainings = [
        Training(
            kind=kind,
            level=Level.DISTRICT,
            held_on=_date(rng, datetime.date(year, 4, 1), datetime.date(year, 11, 30)),
            title=f"{year}年{title}",
            organiser=organiser if kind != "staff_rotation" else "区民政局",
            attendees=rng.randrange(30, 120),
        )
        for kind, year, title in plan
    ]
    for township in townships:
        for year in (2019, 2020):
            if rng.random() < 0.6:
                trainings.append(
                    Training(
                        kind="other",
                        level=Level.TOWNSHIP,
                        township=township,
                        held_on=_date(rng, datetime.date(year, 3, 1), datetime.date(year, 11, 30)),
                        title=f"{year}年{township.name}社区社会组织骨干培训",
                        organiser=f"{township.name}社会组织服务中心",
                        attendees=rng.randrange(20, 60),
                    )
                )
    Training.objects.bulk_create(trainings)
    enrolments = []
    sizes = {2018: 12, 2019: 14, 2020: 9}
    for training in trainings:
        if training.kind == "study_class" and organisations:
            chosen = rng.sample(
                organisations, min(sizes[training.held_on.year], len(organisations))
            )
            for organisation in chosen:
                training.attendees = len(chosen)
                enrolments.append(
                    TrainingEnrolment(
                        training=training, organisation=organisation, person=_person(rng)
                    )
                )
    Training.objects.bulk_update([t for t in trainings if t.kind == "study_class"], ["attendees"])
    TrainingEnrolment.objects.bulk_create(enrolments)
    return f"partybuilding: {len(trainings)} trainings, {len(enrolments)} study-class enrolments"
