"""Party-building coverage of legal social organisations on any date (``docs/targets.md`` P3, P4).

Each legal SO on the date falls into exactly one class, the strongest that applies:

- ``own``: covered by a party organisation set up alone (单独组建) active on the date;
- ``joint``: covered by a jointly set-up one (联合组建);
- ``instructor``: no party organisation, but a party-building instructor (党建指导员) assigned;
- ``none``: not covered.

An organisation is *flagged* when its newest annual report of a year ≤ the date's year shows at
least three formal party members and it has no own party organisation: the party constitution
(第三十条) says a unit with three or more formal members sets up its own basic organisation, and
the plan asks for 应建尽建 (三(一)2).

Everything comes from one query: the classes and the party members are subqueries annotated on
the organisations, so the cost does not grow with the number of organisations.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from registry.models import AnnualReport, Organisation

from .models import InstructorAssignment, PartyOrganisation

CLASSES = ("own", "joint", "instructor", "none")
MIN_MEMBERS_FOR_OWN = 3


def _party_org_exists(date: datetime.date, kind: str) -> Exists:
    through = PartyOrganisation.organisations.through.objects.filter(
        organisation_id=OuterRef("pk"),
        partyorganisation__kind=kind,
        partyorganisation__established_on__lte=date,
    ).filter(
        Q(partyorganisation__dissolved_on__isnull=True)
        | Q(partyorganisation__dissolved_on__gt=date)
    )
    return Exists(through)


def with_coverage(organisations: QuerySet, date: datetime.date) -> QuerySet:
    """Annotate ``has_own``, ``has_joint``, ``has_instructor`` and ``party_members`` (newest
    annual report of a year ≤ the date's year; None without one) on the organisations."""
    newest_report = AnnualReport.objects.filter(
        organisation_id=OuterRef("pk"), year__lte=date.year
    ).order_by("-year")
    return organisations.annotate(
        has_own=_party_org_exists(date, PartyOrganisation.Kind.SINGLE),
        has_joint=_party_org_exists(date, PartyOrganisation.Kind.JOINT),
        has_instructor=Exists(InstructorAssignment.objects.active_on(date).filter(
            organisation_id=OuterRef("pk")
        )),
        party_members=Subquery(
            newest_report.values("party_members")[:1], output_field=IntegerField()
        ),
    )  # fmt: skip


def classify(organisation) -> str:
    if organisation.has_own:
        return "own"
    if organisation.has_joint:
        return "joint"
    if organisation.has_instructor:
        return "instructor"
    return "none"


def is_flagged(organisation) -> bool:
    return (organisation.party_members or 0) >= MIN_MEMBERS_FOR_OWN and not organisation.has_own


@dataclass
class OrganisationCoverage:
    id: int
    name: str
    credit_code: str
    township_id: int
    township: str
    coverage: str
    party_members: int | None
    flagged: bool


@dataclass
class Coverage:
    date: datetime.date
    rows: list[OrganisationCoverage]
    counts: Counter = field(default_factory=Counter)
    by_township: dict[str, Counter] = field(default_factory=dict)
    flagged: int = 0
    obliged: int = 0  # with ≥ 3 formal party members (P3's denominator)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return self.total - self.counts["none"]


def coverage_on(
    date: datetime.date, township=None, organisations: QuerySet | None = None
) -> Coverage:
    """Coverage of the legal SOs on the date, for the district or one township (one query).

    ``organisations`` narrows the population further (e.g. to what a user may see).
    """
    base = organisations if organisations is not None else Organisation.objects.all()
    base = base.legal_on(date)
    if township is not None:
        base = base.filter(township=township)
    queryset = (
        with_coverage(base, date)
        .select_related("township")
        .only("id", "name", "credit_code", "township_id", "township__name", "township__order")
        .order_by("township__order", "name", "id")
    )
    result = Coverage(date=date, rows=[])
    for organisation in queryset:
        row = OrganisationCoverage(
            id=organisation.pk,
            name=organisation.name,
            credit_code=organisation.credit_code,
            township_id=organisation.township_id,
            township=organisation.township.name,
            coverage=classify(organisation),
            party_members=organisation.party_members,
            flagged=is_flagged(organisation),
        )
        result.rows.append(row)
        result.counts[row.coverage] += 1
        result.by_township.setdefault(row.township, Counter())[row.coverage] += 1
        result.flagged += row.flagged
        result.obliged += (row.party_members or 0) >= MIN_MEMBERS_FOR_OWN
    return result
